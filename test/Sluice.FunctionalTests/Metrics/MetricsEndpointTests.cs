using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Metrics;

/// <summary>
/// <c>sluice_metrics</c>: what the Prometheus endpoint says agrees with what happened — responses per peer
/// equal what each backend served, a dead peer shows its failure and its fail_timeout, a held request is a
/// connection, the stub_status counters are the stub_status page's — and promtool accepts the output.
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

        // The held request is a connection on its peer; histograms saw every finished attempt.
        Assert.Equal(1, Value(text, "sluice_upstream_peer_connections", peer(holder)));
        Assert.Equal(b1.Requests - b1.Held, Value(text, "sluice_upstream_header_seconds_count", peer(b1)));

        // The server block counted its requests; the stub_status counters are the page's (taken just after).
        Assert.Equal(40, Value(text, "sluice_server_requests_total", "server=\"metrics.test\",code_class=\"2xx\""));
        Assert.Equal(5, Value(text, "sluice_server_requests_total", "server=\"metrics.test\",code_class=\"4xx\""));
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

    /// <summary>The value of one sample; 0 when the series is absent.</summary>
    private static double Value(string text, string name, string? labels)
    {
        var prefix = labels is null ? name + " " : name + "{" + labels + "} ";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..].Split(' ')[0], CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"server accepts handled requests\n (?<accepts>\d+) (?<handled>\d+) (?<requests>\d+)")]
    private static partial Regex StubStatus();
}
