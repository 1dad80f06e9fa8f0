using System.Diagnostics;

namespace StreamApp.Tests.Infrastructure;

/// <summary>
/// A real redis-server on a loopback port, without persistence, killed on dispose (and at process exit, should a
/// test run be torn down without disposing). Stop and restart keep the port, as a Redis container restart would.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    public string Url => $"redis://127.0.0.1:{Port}";

    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: false };
            }
        }
    }

    private static readonly string[] KnownPaths = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];

    public static string Binary =>
        KnownPaths.FirstOrDefault(File.Exists)
        ?? (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "redis-server")).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("redis-server is not installed; run ./test.sh, which installs it");

    /// <summary>A port for a Redis that is not running yet (start it with <see cref="RestartAsync"/>).</summary>
    public static RedisServer NotStarted() => new(FreePort.Next());

    public static async Task<RedisServer> StartAsync()
    {
        var server = NotStarted();
        try
        {
            await server.RestartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Starts redis-server again on the same port (empty: nothing was saved).</summary>
    public async Task RestartAsync()
    {
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start redis-server");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_gate)
        {
            _process = process;
        }

        AppDomain.CurrentDomain.ProcessExit += KillOnExit;
        await FreePort.WaitForListenerAsync(Port, () => process.HasExited, "redis-server");
    }

    /// <summary>Kills redis-server (SIGKILL: Redis vanishes as in a crash, not after a polite goodbye).</summary>
    public async Task StopAsync()
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
            _process = null;
        }

        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(cts.Token);
        }
        finally
        {
            process.Dispose();
            AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private void KillOnExit(object? sender, EventArgs e)
    {
        lock (_gate)
        {
            try
            {
                if (_process is { HasExited: false } process)
                {
                    process.Kill();
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
    }
}
