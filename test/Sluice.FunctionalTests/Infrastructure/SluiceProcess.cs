using System.Diagnostics;
using System.Text;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>A sluice server started in the background for a test; killed on dispose if still running.</summary>
public sealed class SluiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _stdout = new();

    private SluiceProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stdout)
                {
                    _stdout.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static SluiceProcess Start(params string[] arguments) => Start(arguments, environment: null);

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Writes a line to the process's stdin (the demo's commands).</summary>
    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Starts sluice with <paramref name="arguments"/>; stdin is a pipe the test can write to (<see cref="SendLineAsync"/>).</summary>
    public static SluiceProcess Start(string[] arguments, IReadOnlyDictionary<string, string?>? environment)
    {
        var start = new ProcessStartInfo(Tools.DotnetHost)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Tools.SluiceDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new SluiceProcess(Process.Start(start)!);
    }

    /// <summary>Sends a signal with kill(1), as an operator would.</summary>
    public async Task SignalAsync(string signal)
    {
        var result = await ProcessRunner.RunAsync("kill", ["-" + signal, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal(0, result.ExitCode);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}

/// <summary>Polling with a deadline, for conditions another process brings about.</summary>
public static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>The same for a condition that has to ask over the network.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"timed out waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }
}
