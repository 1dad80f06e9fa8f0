using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Hosting;

/// <summary>
/// Reloads while serving: under a bounded wrk load (30 s), twenty reloads — every other one with a broken
/// configuration, the good ones adding and removing a listener — cost no request and no socket; a stream
/// that started before the reloads finishes after them on the generation it began with.
/// </summary>
public sealed partial class ReloadUnderLoadTests
{
    private readonly ITestOutputHelper _output;

    public ReloadUnderLoadTests(ITestOutputHelper output) => _output = output;

    private static string Config(int port, int extraPort, bool withExtra, string backend) => $$"""
        pid logs/sluice.pid;
        error_log logs/error.log notice;
        events {}
        http {
            access_log off;
            upstream backend { server {{backend}}; keepalive 16; }
            server {
                listen 127.0.0.1:{{port}};
                location / { return 200 "ok\n"; }
                location /api/ { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
                location /stream/ { proxy_pass http://backend; proxy_buffering off; proxy_read_timeout 300s; }
            }
            {{(withExtra ? $"server {{ listen 127.0.0.1:{extraPort}; return 200 \"extra\\n\"; }}" : "")}}
        }
        """;

    [Fact]
    public async Task Twenty_reloads_under_load_lose_nothing()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("logs"));
        var port = FreePort.Next();
        var extraPort = FreePort.Next();
        var conf = dir.Write("conf/sluice.conf", Config(port, extraPort, withExtra: false, backend.Address));
        await using var sluice = SluiceProcess.Start("-p", dir.Path + "/", "-c", "conf/sluice.conf");
        await NginxProcess.WaitForPortAsync(port, () => sluice.HasExited, "sluice");

        // A stream of 60 events, 100 ms apart, started before the first reload.
        using var streamClient = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var stream = streamClient.GetStringAsync($"http://127.0.0.1:{port}/stream/60");

        var wrk = ProcessRunner.RunAsync("wrk", ["-t2", "-c16", "-d30s", "--latency", $"http://127.0.0.1:{port}/api/load"], TimeSpan.FromSeconds(90));
        var reloads = 0;
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(1200);
            var broken = i % 2 == 1;
            File.WriteAllText(conf, broken
                ? Config(port, extraPort, withExtra: false, backend.Address) + "\nthis is not a directive;\n"
                : Config(port, extraPort, withExtra: i % 4 == 0, backend.Address));
            await sluice.SignalAsync("HUP");
            reloads++;
            if (!broken && i % 4 == 0)
            {
                await NginxProcess.WaitForPortAsync(extraPort, () => sluice.HasExited, "extra listener");
            }
        }

        var result = await wrk;
        _output.WriteLine(result.Stdout);
        _output.WriteLine(string.Join("\n", File.ReadAllLines(dir.Combine("logs", "error.log")).Where(l => !l.Contains("[notice]", StringComparison.Ordinal))));
        var events = await stream;

        Assert.Equal(20, reloads);
        Assert.False(sluice.HasExited, sluice.Stderr);
        Assert.DoesNotContain("Socket errors", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Non-2xx or 3xx responses", result.Stdout, StringComparison.Ordinal);
        var requests = long.Parse(Requests().Match(result.Stdout).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(requests > 1000, $"wrk made only {requests} requests");
        Assert.Equal(60, EventId().Count(events));
        Assert.Contains("id: 59", events, StringComparison.Ordinal);

        var log = File.ReadAllText(dir.Combine("logs", "error.log"));
        Assert.Equal(10, UnknownDirective().Count(log));
    }

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"(?m)^id: \d+$")]
    private static partial Regex EventId();

    [GeneratedRegex(@"\[emerg\] \d+#\d+: unknown directive ""this""")]
    private static partial Regex UnknownDirective();
}
