using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Metrics;

/// <summary>
/// <c>sluice_metrics</c>: what the Prometheus endpoint says agrees with what happened — responses per peer
/// equal what each backend served, a dead peer shows its failure and its fail_timeout, a held request is a
/// connection, response times cover the whole body, bytes are the bodies' bytes, the stub_status counters
/// are the stub_status page's; peers marked down, backup or drain say so; counters go on across a reload —
/// and promtool accepts the output.
/// </summary>
public sealed partial class MetricsEndpointTests
{
    private readonly ITestOutputHelper _output;

    public MetricsEndpointTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Metrics_agree_with_what_the_backends_and_stub_status_saw()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var b2 = await TestBackend.StartAsync("b2");
        var dead = $"127.0.0.1:{FreePort.Next()}";
        await using var sluice = await SluiceInstance.StartAsync(port => $$"""
            events { worker_connections 2048; }
            http {
                access_log off;
                upstream backend {
                    server {{b1.Address}};
                    server {{b2.Address}} weight=2;
                    server {{dead}} max_fails=1 fail_timeout=60s;
                }
                server {
                    listen 127.0.0.1:{{port}};
                    server_name metrics.test;
                    location / { proxy_pass http://backend; }
                    location = /metrics { sluice_metrics; access_log off; }
                    location = /nginx-status { stub_status; }
                }
                server {
                    listen 127.0.0.1:{{port}};
                    server_name bytes.test;
                    location / { proxy_pass http://backend; }
                }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri(sluice.Url), Timeout = TimeSpan.FromSeconds(30) };
        for (var i = 0; i < 40; i++)
        {
            (await client.GetAsync($"/ok/{i}")).EnsureSuccessStatusCode();
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(404, (int)(await client.GetAsync($"/status/404?{i}")).StatusCode);
        }

        // Bodies of a known length through the other server block (no chunked framing: the backend sends Content-Length).
        long[] sizes = [1000, 2500, 70_000];
        foreach (var size in sizes)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/bytes/{size}") { Headers = { Host = "bytes.test" } };
            using var response = await client.SendAsync(request);
            Assert.Equal(size, (await response.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync()).Length);
        }

        // A response whose body goes on for at least 3 x 150 ms after its header.
        Assert.Equal(3, Regex.Count(await client.GetStringAsync("/stream/3?interval=150"), "^data: ", RegexOptions.Multiline));

        var held = client.GetAsync("/hold/1");
        await Eventually.TrueAsync(() => b1.Held + b2.Held == 1, "the held request reached a backend");
        var holder = b1.Held == 1 ? b1 : b2;

        var text = await client.GetStringAsync("/metrics");
        var status = await client.GetStringAsync("/nginx-status");
        _output.WriteLine(text);

        var peer = (TestBackend b) => $"upstream=\"backend\",peer=\"{b.Address}\",address=\"{b.Address}\"";
        var deadPeer = $"upstream=\"backend\",peer=\"{dead}\",address=\"{dead}\"";

        // Every response a backend gave is counted on its peer, by class (the held one is not finished yet).
        foreach (var backend in new[] { b1, b2 })
        {
            var served = backend.Requests - backend.Held;
            var counted = Value(text, "sluice_upstream_responses_total", peer(backend) + ",code_class=\"2xx\"") + Value(text, "sluice_upstream_responses_total", peer(backend) + ",code_class=\"4xx\"");
            Assert.Equal(served, counted);
        }

        Assert.Equal(5, Value(text, "sluice_upstream_responses_total", peer(b1) + ",code_class=\"4xx\"") + Value(text, "sluice_upstream_responses_total", peer(b2) + ",code_class=\"4xx\""));

        // The dead peer: one failure (a 502 attempt), out until its fail_timeout ends.
        Assert.Equal(1, Value(text, "sluice_upstream_failures_total", deadPeer));
        Assert.Equal(1, Value(text, "sluice_upstream_responses_total", deadPeer + ",code_class=\"5xx\""));
        Assert.Equal(0, Value(text, "sluice_upstream_peer_up", deadPeer));
        Assert.InRange(Value(text, "sluice_upstream_peer_failed_until_seconds", deadPeer) - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 50, 61);
        Assert.Equal(1, Value(text, "sluice_upstream_peer_up", peer(b1)));
        Assert.Equal(0, Value(text, "sluice_upstream_peer_backup", peer(b1)));

        // The held request is a connection on its peer; both histograms saw every finished attempt, and the
        // response histogram ($upstream_response_time) measures to the body's end: the stream's last byte came
        // at least 450 ms after its header, so its sum is ahead of the header histogram's by that much.
        Assert.Equal(1, Value(text, "sluice_upstream_peer_connections", peer(holder)));
        foreach (var backend in new[] { b1, b2 })
        {
            Assert.Equal(backend.Requests - backend.Held, Value(text, "sluice_upstream_header_seconds_count", peer(backend)));
            Assert.Equal(backend.Requests - backend.Held, Value(text, "sluice_upstream_response_seconds_count", peer(backend)));
            Assert.Equal(backend.Requests - backend.Held, Value(text, "sluice_upstream_response_seconds_bucket", peer(backend) + ",le=\"+Inf\""));
        }

        var responseSum = Value(text, "sluice_upstream_response_seconds_sum", peer(b1)) + Value(text, "sluice_upstream_response_seconds_sum", peer(b2));
        var headerSum = Value(text, "sluice_upstream_header_seconds_sum", peer(b1)) + Value(text, "sluice_upstream_header_seconds_sum", peer(b2));
        Assert.True(responseSum - headerSum >= 0.45, $"response seconds {responseSum}, header seconds {headerSum}");
        Assert.Equal(0, Value(text, "sluice_upstream_header_seconds_count", deadPeer));

        // Each server block counted its requests and its body bytes; the stub_status counters are the page's (taken just after).
        Assert.Equal(41, Value(text, "sluice_server_requests_total", "server=\"metrics.test\",code_class=\"2xx\""));
        Assert.Equal(5, Value(text, "sluice_server_requests_total", "server=\"metrics.test\",code_class=\"4xx\""));
        Assert.Equal(0, Value(text, "sluice_server_requests_total", "server=\"metrics.test\",code_class=\"5xx\""));
        Assert.Equal(3, Value(text, "sluice_server_requests_total", "server=\"bytes.test\",code_class=\"2xx\""));
        Assert.Equal(sizes.Sum(), Value(text, "sluice_server_sent_bytes_total", "server=\"bytes.test\""));
        Assert.True(Value(text, "sluice_server_sent_bytes_total", "server=\"metrics.test\"") > 0);
        var stub = StubStatus().Match(status);
        Assert.Equal(long.Parse(stub.Groups["accepts"].Value, CultureInfo.InvariantCulture), Value(text, "sluice_connections_accepted_total", null));
        Assert.Equal(long.Parse(stub.Groups["requests"].Value, CultureInfo.InvariantCulture) - 1, Value(text, "sluice_http_requests_total", null));
        Assert.Equal(2048, Value(text, "sluice_worker_connections", null));

        // promtool (test.sh installs it) checks the exposition format and the naming rules.
        var dir = new TempDirectory();
        var file = dir.Write("metrics.txt", text);
        var check = await ProcessRunner.RunAsync("sh", ["-c", $"promtool check metrics < {file}"]);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);

        b1.ReleaseHeld();
        b2.ReleaseHeld();
        (await held).EnsureSuccessStatusCode();
        dir.Dispose();
    }

    [Fact]
    public async Task Peers_marked_down_backup_or_drain_report_it()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        string down = $"127.0.0.1:{FreePort.Next()}", drain = $"127.0.0.1:{FreePort.Next()}", backup = $"127.0.0.1:{FreePort.Next()}";
        await using var sluice = await SluiceInstance.StartAsync(port => $$"""
            events {}
            http {
                access_log off;
                upstream backend {
                    server {{b1.Address}};
                    server {{down}} down;
                    server {{drain}} drain;
                    server {{backup}} backup;
                }
                server {
                    listen 127.0.0.1:{{port}};
                    location / { proxy_pass http://backend; }
                    location = /metrics { sluice_metrics; }
                }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri(sluice.Url), Timeout = TimeSpan.FromSeconds(30) };
        var text = await client.GetStringAsync("/metrics");
        _output.WriteLine(text);

        // Up = takes new requests: a backup does (when the primaries fail), down and drain do not.
        foreach (var (address, up, isDown, draining, isBackup) in new[]
        {
            (b1.Address, 1, 0, 0, 0),
            (down, 0, 1, 0, 0),
            (drain, 0, 0, 1, 0),
            (backup, 1, 0, 0, 1),
        })
        {
            var labels = $"upstream=\"backend\",peer=\"{address}\",address=\"{address}\"";
            Assert.Equal(up, Value(text, "sluice_upstream_peer_up", labels));
            Assert.Equal(isDown, Value(text, "sluice_upstream_peer_down", labels));
            Assert.Equal(draining, Value(text, "sluice_upstream_peer_draining", labels));
            Assert.Equal(isBackup, Value(text, "sluice_upstream_peer_backup", labels));
            Assert.Equal(0, Value(text, "sluice_upstream_peer_failed_until_seconds", labels));
        }
    }

    [Fact]
    public async Task Counters_go_on_across_a_reload()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        string Config(int port, string generation) => $$"""
            events {}
            http {
                access_log off;
                upstream backend { server {{b1.Address}}; }
                server {
                    listen 127.0.0.1:{{port}};
                    server_name reload.test;
                    location / { proxy_pass http://backend; }
                    location = /generation { return 200 "{{generation}}"; }
                    location = /metrics { sluice_metrics; }
                }
            }
            """;
        await using var sluice = await SluiceInstance.StartAsync(port => Config(port, "first"));
        using var client = new HttpClient { BaseAddress = new Uri(sluice.Url), Timeout = TimeSpan.FromSeconds(30) };
        for (var i = 0; i < 10; i++)
        {
            (await client.GetAsync($"/before/{i}")).EnsureSuccessStatusCode();
        }

        var before = await client.GetStringAsync("/metrics");
        var peer = $"upstream=\"backend\",peer=\"{b1.Address}\",address=\"{b1.Address}\"";
        Assert.Equal(10, Value(before, "sluice_upstream_responses_total", peer + ",code_class=\"2xx\""));

        File.WriteAllText(Path.Combine(sluice.Logs, "..", "conf", "sluice.conf"), "pid logs/sluice.pid;\nerror_log logs/error.log info;\n" + Config(sluice.Port, "second"));
        await sluice.Process.SignalAsync("HUP");
        var polls = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await client.GetStringAsync("/generation") != "second")
        {
            polls++;
            Assert.True(DateTime.UtcNow < deadline, "the reloaded configuration never served\n" + sluice.ErrorLog);
            await Task.Delay(50);
        }

        polls++;
        for (var i = 0; i < 5; i++)
        {
            (await client.GetAsync($"/after/{i}")).EnsureSuccessStatusCode();
        }

        // Everything counted before the reload is still there, and what came after adds to it.
        var after = await client.GetStringAsync("/metrics");
        _output.WriteLine(after);
        Assert.Equal(15, Value(after, "sluice_upstream_responses_total", peer + ",code_class=\"2xx\""));
        Assert.Equal(15, Value(after, "sluice_upstream_header_seconds_count", peer));
        Assert.Equal(15, Value(after, "sluice_upstream_response_seconds_count", peer));
        var server = "server=\"reload.test\",code_class=\"2xx\"";
        Assert.Equal(Value(before, "sluice_server_requests_total", server) + 1 + polls + 5, Value(after, "sluice_server_requests_total", server));
        Assert.Equal(Value(before, "sluice_http_requests_total", null) + polls + 5 + 1, Value(after, "sluice_http_requests_total", null));
        Assert.True(Value(after, "sluice_server_sent_bytes_total", "server=\"reload.test\"") > Value(before, "sluice_server_sent_bytes_total", "server=\"reload.test\""));
        Assert.True(Value(after, "sluice_connections_accepted_total", null) >= Value(before, "sluice_connections_accepted_total", null));
    }

    /// <summary>The value of one sample; fails the test when Sluice did not write that series, so a 0 is a 0 it wrote.</summary>
    private static double Value(string text, string name, string? labels)
    {
        var prefix = labels is null ? name + " " : name + "{" + labels + "} ";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(line is not null, $"no series {prefix.TrimEnd()} in the metrics:\n{text}");
        return double.Parse(line[prefix.Length..].Split(' ')[0], CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"server accepts handled requests\n (?<accepts>\d+) (?<handled>\d+) (?<requests>\d+)")]
    private static partial Regex StubStatus();
}
