using System.Diagnostics;
using System.Net.Sockets;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>The real nginx running a test configuration in the foreground; stopped (QUIT, then kill) on dispose.</summary>
public sealed class NginxProcess : IAsyncDisposable
{
    private readonly Process _process;

    private NginxProcess(Process process) => _process = process;

    public static async Task<NginxProcess> StartAsync(string prefix, string confPath, int waitForPort)
    {
        var start = new ProcessStartInfo(Tools.Nginx)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-p", prefix, "-c", confPath, "-g", "daemon off;" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var nginx = new NginxProcess(process);
        await WaitForPortAsync(waitForPort, () => process.HasExited, "nginx");
        return nginx;
    }

    public static async Task WaitForPortAsync(int port, Func<bool> exited, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (exited())
            {
                throw new InvalidOperationException($"{what} exited before listening on {port}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"{what} did not listen on {port}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var quit = Process.Start("kill", ["-QUIT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await quit!.WaitForExitAsync();
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
