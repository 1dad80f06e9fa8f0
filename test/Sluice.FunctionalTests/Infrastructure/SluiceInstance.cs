namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>
/// Sluice alone on a free loopback port, in a temporary prefix with <c>conf/</c> and <c>logs/</c>: the test
/// gives the configuration (for the port chosen), reads the logs, and disposes of everything.
/// </summary>
public sealed class SluiceInstance : IAsyncDisposable
{
    private readonly TempDirectory _dir;

    private SluiceInstance(TempDirectory dir, SluiceProcess process, int port)
    {
        _dir = dir;
        Process = process;
        Port = port;
    }

    public SluiceProcess Process { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public string Logs => _dir.Combine("logs");

    /// <summary>The prefix (<c>-p</c>): relative paths of the configuration resolve against it.</summary>
    public string Prefix => _dir.Path;

    /// <summary>The error log of the configuration's <c>error_log logs/error.log …</c>.</summary>
    public string ErrorLog => File.Exists(_dir.Combine("logs", "error.log")) ? File.ReadAllText(_dir.Combine("logs", "error.log")) : "";

    /// <summary>Starts Sluice with <paramref name="config"/>(port), prefixed with a pid file and an info-level error log.</summary>
    public static async Task<SluiceInstance> StartAsync(Func<int, string> config)
    {
        var dir = new TempDirectory("sluice-instance");
        Directory.CreateDirectory(dir.Combine("logs"));
        var port = FreePort.Next();
        dir.Write("conf/sluice.conf", "pid logs/sluice.pid;\nerror_log logs/error.log info;\n" + config(port));
        var process = SluiceProcess.Start("-p", dir.Path + "/", "-c", "conf/sluice.conf");
        try
        {
            await NginxProcess.WaitForPortAsync(port, () => process.HasExited, "sluice");
        }
        catch (InvalidOperationException)
        {
            var stderr = process.Stderr;
            await process.DisposeAsync();
            dir.Dispose();
            throw new InvalidOperationException("sluice did not start:\n" + stderr);
        }

        return new SluiceInstance(dir, process, port);
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        _dir.Dispose();
    }
}
