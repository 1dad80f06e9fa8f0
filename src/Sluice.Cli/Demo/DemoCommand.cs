using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Sluice.Hosting;

namespace Sluice.Cli.Demo;

/// <summary>
/// <c>sluice demo</c>: the guide's whole system on one machine with nothing but the .NET SDK — three
/// StreamApp instances (the application tier), their shared event store (Redis when one is given or found,
/// else one in-process store), and Sluice in front of them with a configuration taken from the guide.
/// Prints what to try; lines typed on stdin stop and start instances; Ctrl-C stops everything.
/// </summary>
internal static class DemoCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (!DemoOptions.TryParse(args, out var options, out var error))
        {
            await stderr.WriteLineAsync($"sluice: {error}\n{DemoOptions.Usage}").ConfigureAwait(false);
            return 1;
        }

        if (options.Help)
        {
            await stdout.WriteLineAsync(DemoOptions.Usage).ConfigureAwait(false);
            return 0;
        }

        if (!PortIsFree(options.Port))
        {
            await stderr.WriteLineAsync($"sluice: port {options.Port} is in use; choose another with --port").ConfigureAwait(false);
            return 1;
        }

        var directory = Directory.CreateTempSubdirectory("sluice-demo-");
        await using var store = await DemoStore.StartAsync(options, stdout).ConfigureAwait(false);
        var instances = new DemoInstances(store, options.Heartbeat);
        try
        {
            await instances.StartAllAsync(options.Instances).ConfigureAwait(false);
            var conf = DemoConfig.Write(directory.FullName, options.Port, instances.Ports);

            // Sluice runs in this process with the ordinary command line; its Ctrl-C handling ends it.
            using var stop = new CancellationTokenSource();
            var sluice = SluiceProgram.RunAsync(["-p", directory.FullName + "/", "-c", conf], stdout, stderr, stop.Token);
            if (!await WaitForListenerAsync(options.Port, sluice).ConfigureAwait(false))
            {
                return await sluice.ConfigureAwait(false);
            }

            await stdout.WriteAsync(Banner(options, store, instances, directory.FullName)).ConfigureAwait(false);
            var commands = new DemoConsole(instances, stdout, stop).RunAsync(Console.In);
            var exit = await sluice.ConfigureAwait(false);
            await stdout.WriteLineAsync("sluice demo: stopped").ConfigureAwait(false);
            _ = commands;
            return exit;
        }
        finally
        {
            await instances.DisposeAsync().ConfigureAwait(false);
            try
            {
                directory.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string Banner(DemoOptions options, DemoStore store, DemoInstances instances, string directory)
    {
        var url = $"http://127.0.0.1:{options.Port.ToString(CultureInfo.InvariantCulture)}";
        var lines = new List<string>
        {
            "",
            $"Sluice demo: {instances.Count} StreamApp instances behind Sluice (least_conn, keepalive 32); events shared through {store.Description}.",
            "",
        };
        foreach (var (name, port) in instances.Names.Zip(instances.Ports))
        {
            lines.Add($"  {name,-7} http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        }

        lines.AddRange(
        [
            $"  sluice  {url}        configuration and logs in {directory}",
            "",
            "Try:",
            $"  curl -i {url}/                          # X-Instance-Id: which instance answered",
            $"  curl {url}/api/lookup?key=42",
            $"  curl -N {url}/stream                    # Server-Sent Events; then, in another terminal:",
            $"  curl -X POST {url}/api/publish -H 'Content-Type: application/json' -d '{{\"data\":{{\"hello\":\"world\"}}}}'",
            $"  curl {url}/health/detailed",
            $"  curl {url}/nginx-status                 # stub_status",
            $"  curl {url}/metrics                      # Sluice's Prometheus metrics, per upstream peer",
            $"  wrk -c 16 -d 10s {url}/api/lookup?key=1",
            "",
            "Type \"stop app-2\" or \"start app-2\" to take an instance away and back, \"status\" to list them;",
            "Ctrl-C (or \"quit\") stops everything.",
            "sluice demo: ready",
            "",
        ]);
        return string.Join('\n', lines);
    }

    private static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>True once Sluice accepts connections; false when it exited first (its messages are on stderr).</summary>
    private static async Task<bool> WaitForListenerAsync(int port, Task<int> sluice)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !sluice.IsCompleted)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }

        return false;
    }
}
