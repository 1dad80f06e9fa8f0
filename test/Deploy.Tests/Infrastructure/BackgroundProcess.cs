using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Deploy.Tests.Infrastructure;

/// <summary>
/// A program the tests keep running (Prometheus, Sluice, StreamApp instances), its output collected for
/// failure messages. Killed with its children on dispose, and at process exit should a run be torn down
/// without disposing.
/// </summary>
public sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private BackgroundProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <param name="environment">Variables to set; a null value removes one inherited from the test run.</param>
    public static BackgroundProcess Start(string name, string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (variable, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(variable);
            }
            else
            {
                start.Environment[variable] = value;
            }
        }

        return new BackgroundProcess(name, Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}"));
    }

    /// <summary>Waits until something accepts connections on 127.0.0.1:<paramref name="port"/>; fails with the log if the process exits first.</summary>
    public async Task WaitForPortAsync(int port)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before listening on {port}:\n{Log}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} did not listen on {port}:\n{Log}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(cts.Token);
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    private void KillOnExit(object? sender, EventArgs e) => Kill();

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }
}
