using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Hosting;

/// <summary>
/// Reloads while serving: under a bounded wrk load (30 s), twenty reloads — every other one with a broken
/// configuration, the good ones adding and removing a listener — cost no request and no socket; a removed listener
/// is closed; a stream that started before the reloads finishes after them on the generation it began with.
/// </summary>
public sealed partial class ReloadUnderLoadTests
{
    private const string FirstGeneration = "gen-first";

    private readonly ITestOutputHelper _output;

    public ReloadUnderLoadTests(ITestOutputHelper output) => _output = output;

    /// <summary>
    /// One generation's configuration: <paramref name="generation"/> names it in the stream's response header and in
    /// the access log line each request writes when it ends, which is how a request shows the generation it ran on.
    /// </summary>
    private static string Config(int port, int extraPort, bool withExtra, string backend, string generation) => $$"""
        pid logs/sluice.pid;
        error_log logs/error.log notice;
        events {}
        http {
            access_log off;
            log_format generation '{{generation}} $request_uri $status';
            upstream backend { server {{backend}}; keepalive 16; }
            server {
                listen 127.0.0.1:{{port}};
                location / { return 200 "ok\n"; }
                location = /generation { access_log logs/generations.log generation; return 200 "{{generation}}"; }
                location /api/ { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
                location /stream/ {
                    proxy_pass http://backend;
                    proxy_buffering off;
                    proxy_read_timeout 300s;
                    add_header X-Generation {{generation}} always;
                    access_log logs/generations.log generation;
                }
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
        var conf = dir.Write("conf/sluice.conf", Config(port, extraPort, withExtra: false, backend.Address, FirstGeneration));
        await using var sluice = SluiceProcess.Start("-p", dir.Path + "/", "-c", "conf/sluice.conf");
        await NginxProcess.WaitForPortAsync(port, () => sluice.HasExited, "sluice");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

        // A stream of 40 events, 250 ms apart, whose head has arrived before the first reload.
        using var streamResponse = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/stream/40?interval=250"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(FirstGeneration, Assert.Single(streamResponse.Headers.GetValues("X-Generation")));
        var stream = streamResponse.Content.ReadAsStringAsync();

        var wrk = ProcessRunner.RunAsync("wrk", ["-t2", "-c16", "-d30s", "--latency", $"http://127.0.0.1:{port}/api/load"], TimeSpan.FromSeconds(90));
        var reloads = 0;
        var lastGeneration = FirstGeneration;
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(1200);
            var broken = i % 2 == 1;
            var withExtra = i % 4 == 0;
            var generation = $"gen{i}";
            File.WriteAllText(conf, broken
                ? Config(port, extraPort, withExtra: false, backend.Address, generation) + "\nthis is not a directive;\n"
                : Config(port, extraPort, withExtra, backend.Address, generation));
            await sluice.SignalAsync("HUP");
            reloads++;
            if (broken)
            {
                continue;
            }

            lastGeneration = generation;
            await Eventually.TrueAsync(async () => await client.GetStringAsync($"http://127.0.0.1:{port}/generation") == generation, $"{generation} serving");
            if (i == 0)
            {
                Assert.False(stream.IsCompleted, "the stream ended before the first reload was serving");
            }

            if (withExtra)
            {
                await NginxProcess.WaitForPortAsync(extraPort, () => sluice.HasExited, "extra listener");
            }
            else
            {
                await Eventually.TrueAsync(() => !Accepts(extraPort), $"extra listener closed by {generation}");
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
        Assert.Equal(40, EventId().Count(events));
        Assert.Contains("id: 39", events, StringComparison.Ordinal);

        // The stream's log line is written when it ends, long after newer generations took over: it is still the
        // first generation's line (its format, its location), as nginx's old worker would write it.
        Assert.NotEqual(FirstGeneration, lastGeneration);
        var lines = await LogLines.WaitForAsync(dir.Combine("logs", "generations.log"), 1);
        Assert.Contains($"{FirstGeneration} /stream/40?interval=250 200", lines);
        Assert.DoesNotContain(lines, l => l.Contains("/stream/", StringComparison.Ordinal) && !l.StartsWith(FirstGeneration + " ", StringComparison.Ordinal));
        Assert.False(Accepts(extraPort), "the extra listener the last good configuration removed still accepts");

        var log = File.ReadAllText(dir.Combine("logs", "error.log"));
        Assert.Equal(10, UnknownDirective().Count(log));
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var socket = new TcpClient();
            socket.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"(?m)^id: \d+$")]
    private static partial Regex EventId();

    [GeneratedRegex(@"\[emerg\] \d+#\d+: unknown directive ""this""")]
    private static partial Regex UnknownDirective();
}
