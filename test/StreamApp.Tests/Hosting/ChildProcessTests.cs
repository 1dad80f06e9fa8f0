using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using StreamApp.Tests.Infrastructure;

namespace StreamApp.Tests.Hosting;

/// <summary>
/// The other way to host instances: <c>dotnet StreamApp.dll</c> configured by environment, as the guide's
/// containers are. SIGTERM stops it promptly even with an SSE client attached.
/// </summary>
public sealed class ChildProcessTests
{
    private static string AppDll => Path.Combine(AppContext.BaseDirectory, "StreamApp.dll");

    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    [Fact]
    public async Task Runs_from_the_environment_and_stops_gracefully_on_SIGTERM_with_a_stream_open()
    {
        var port = FreePort.Next();
        using var process = Start(new Dictionary<string, string>
        {
            ["INSTANCE_ID"] = "child-1",
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["HEARTBEAT_SECONDS"] = "0.2",
        }, out var output);
        try
        {
            await FreePort.WaitForListenerAsync(port, () => process.HasExited, "StreamApp");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            using var root = await http.GetAsync("");
            Assert.Equal("child-1", Assert.Single(root.Headers.GetValues("X-Instance-Id")));
            using var json = JsonDocument.Parse(await root.Content.ReadAsStringAsync());
            Assert.Equal("child-1", json.RootElement.GetProperty("instance").GetString());
            Assert.Equal("embedded", json.RootElement.GetProperty("store").GetString());

            await using var stream = await SseClient.ConnectAsync(http.BaseAddress);
            Assert.True((await stream.NextAsync(TimeSpan.FromSeconds(5))).IsComment); // a 0.2 s heartbeat from HEARTBEAT_SECONDS

            var stopping = Stopwatch.StartNew();
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await process.WaitForExitAsync(cts.Token);
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(8), $"took {stopping.Elapsed.TotalSeconds:0.0} s to stop");
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.Contains("Now listening on: http://127.0.0.1:" + port, output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_variable_stops_it_at_once_with_a_message_naming_it()
    {
        using var process = Start(new Dictionary<string, string> { ["PORT"] = "eighty" }, out var output);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("PORT", output.ToString(), StringComparison.Ordinal);
    }

    private static Process Start(Dictionary<string, string> environment, out StringBuilder output)
    {
        var start = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(AppDll);
        foreach (var name in new[] { "REDIS_URL", "INSTANCE_ID", "PORT", "BIND", "HEARTBEAT_SECONDS", "ASPNETCORE_URLS" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var log = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start StreamApp");
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = log;
        return process;
    }
}
