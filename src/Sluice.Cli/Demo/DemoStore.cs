using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StreamApp.Store;

namespace Sluice.Cli.Demo;

/// <summary>
/// Where the demo's instances share events: a given Redis, a private <c>redis-server</c> the demo starts
/// when one is installed (and stops at the end), or one in-process store every instance uses.
/// </summary>
/// <remarks>
/// The private redis-server must not outlive the demo even when the demo cannot clean up (kill -9, a crash):
/// it runs under a small shell that holds a pipe from the demo as its stdin and stops redis-server when that
/// pipe reaches end of file — which the kernel brings about when the demo's end closes, however it ends.
/// </remarks>
internal sealed class DemoStore : IAsyncDisposable
{
    private readonly Process? _redisServer;

    private DemoStore(string? redisUrl, InMemoryEventStore? shared, Process? redisServer, string description)
    {
        RedisUrl = redisUrl;
        Shared = shared;
        _redisServer = redisServer;
        Description = description;
    }

    /// <summary>The Redis the instances use; null with the in-process store.</summary>
    public string? RedisUrl { get; }

    /// <summary>The one store of every instance when there is no Redis.</summary>
    public InMemoryEventStore? Shared { get; }

    public string Description { get; }

    public static async Task<DemoStore> StartAsync(DemoOptions options, TextWriter stdout)
    {
        if (options.RedisUrl is { } url)
        {
            return new DemoStore(url, null, null, $"Redis at {url}");
        }

        if (!options.NoRedis && FindRedisServer() is { } redisServer && await StartRedisAsync(redisServer).ConfigureAwait(false) is var (process, port, pid) && process is not null)
        {
            return new DemoStore($"redis://127.0.0.1:{port}", null, process, $"a private redis-server on 127.0.0.1:{port} (pid {pid})");
        }

        await stdout.WriteLineAsync("sluice demo: no Redis (set REDIS_URL or install redis-server to use one); the instances share one in-process store").ConfigureAwait(false);
        return new DemoStore(null, new InMemoryEventStore(10_000, TimeProvider.System), null, "one in-process store");
    }

    private static string? FindRedisServer() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin").Append("/usr/local/bin")
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// The shell that keeps redis-server on the demo's lifeline: starts it ($1 the program, the rest its
    /// arguments), prints its pid, waits for end of file on stdin (the demo's pipe), then stops it.
    /// </summary>
    private const string Lifeline = """
        redis="$1"; shift
        "$redis" "$@" </dev/null >/dev/null 2>&1 &
        echo $!
        cat >/dev/null
        kill $! 2>/dev/null
        wait
        """;

    /// <summary>A throwaway redis-server on a free loopback port, without persistence, under <see cref="Lifeline"/>; null when it does not come up.</summary>
    private static async Task<(Process? Process, int Port, int Pid)> StartRedisAsync(string path)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-c", Lifeline, "sluice-demo-redis", path, "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start);
        if (process is null)
        {
            return (null, 0, 0);
        }

        process.BeginErrorReadLine();
        if (!int.TryParse(await process.StandardOutput.ReadLineAsync().ConfigureAwait(false), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            Stop(process);
            return (null, 0, 0);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return (process, port, pid);
            }
            catch (SocketException)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }

        Stop(process);
        return (null, 0, 0);
    }

    public async ValueTask DisposeAsync()
    {
        if (Shared is not null)
        {
            await Shared.DisposeAsync().ConfigureAwait(false);
        }

        if (_redisServer is not null)
        {
            Stop(_redisServer);
        }
    }

    /// <summary>Closes the lifeline (the shell stops redis-server and waits for it); kills both if that does not end them.</summary>
    private static void Stop(Process process)
    {
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
        }

        if (!process.WaitForExit(10_000))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }

        process.Dispose();
    }
}
