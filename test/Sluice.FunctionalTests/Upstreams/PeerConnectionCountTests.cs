using System.Net;
using System.Text;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Upstreams;

/// <summary>
/// Every attempt gives its peer's connection back, however the request ends — a client that goes away (499)
/// while the head or the body is on its way, an upstream error or timeout, an exception — or max_conns=1 would
/// keep the peer full for good ("no live upstreams"), and least_conn and the metrics would count ghosts.
/// </summary>
public sealed class PeerConnectionCountTests
{
    private readonly ITestOutputHelper _output;

    public PeerConnectionCountTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task A_max_conns_1_peer_serves_again_after_aborts_errors_and_exceptions()
    {
        await using var b1 = await TestBackend.StartAsync("b1");

        // A byte outside ASCII in a header field: Kestrel refuses to send it and throws in the middle of the
        // attempt (nginx passes the byte through) — the unexpected exception this test needs.
        await using var raw = new RawBackend(_ => Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\nX-Name: caf\u00e9\r\nContent-Length: 2\r\n\r\nok"));
        await using var sluice = await SluiceInstance.StartAsync(port => $$"""
            events {}
            http {
                access_log off;
                upstream one { server {{b1.Address}} max_conns=1; }
                upstream raw { server {{raw.Address}} max_conns=1; }
                server {
                    listen 127.0.0.1:{{port}};
                    proxy_read_timeout 1s;
                    location / { proxy_pass http://one; }
                    location /raw/ { proxy_pass http://raw; }
                    location = /metrics { sluice_metrics; }
                }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri(sluice.Url), Timeout = TimeSpan.FromSeconds(30) };

        // The client gives up while the upstream holds the head back.
        using (var giveUp = new CancellationTokenSource())
        {
            var held = client.GetAsync("/hold/1", giveUp.Token);
            await Eventually.TrueAsync(() => b1.Held == 1, "the request is held at the backend");
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
            b1.ReleaseHeld();
        }

        await ServesAsync(client, "/after-abort-in-head");

        // The client goes away in the middle of a large body.
        using (var response = await client.GetAsync("/bytes/200000000", HttpCompletionOption.ResponseHeadersRead))
        {
            var stream = await response.Content.ReadAsStreamAsync();
            await stream.ReadExactlyAsync(new byte[65536]);
        }

        await ServesAsync(client, "/after-abort-in-body");

        // An invalid header (502), a timeout (504).
        Assert.Equal(HttpStatusCode.BadGateway, (await client.GetAsync("/x?b1=big")).StatusCode);
        await ServesAsync(client, "/after-invalid-header");
        Assert.Equal(HttpStatusCode.GatewayTimeout, (await client.GetAsync("/x?b1=wait3000")).StatusCode);
        await ServesAsync(client, "/after-timeout");

        // An exception: twice, so that a peer still counted full would answer "no live upstreams" (502).
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync("/raw/x");
            Assert.NotEqual(HttpStatusCode.BadGateway, response.StatusCode);
        }

        Assert.Equal(2, raw.Requests);
        Assert.DoesNotContain(sluice.ErrorLog.Split('\n'), l => l.Contains("no live upstreams", StringComparison.Ordinal) && l.Contains("/raw/", StringComparison.Ordinal));

        // And the count the metrics show (what least_conn reads) is back to zero for both peers.
        await Eventually.TrueAsync(
            () =>
            {
                var metrics = client.GetStringAsync("/metrics").GetAwaiter().GetResult();
                var counts = metrics.Split('\n').Where(l => l.StartsWith("sluice_upstream_peer_connections{", StringComparison.Ordinal)).ToList();
                _output.WriteLine(string.Join("\n", counts));
                return counts.Count == 2 && counts.All(l => l.EndsWith(" 0", StringComparison.Ordinal));
            },
            "no connections counted on the peers");
    }

    /// <summary>The peer takes a request again: the proxy may need a moment to notice a client that went away.</summary>
    private static async Task ServesAsync(HttpClient client, string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var response = await client.GetAsync(path);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{path}: still {(int)response.StatusCode} — the peer's connection was never given back");
            await Task.Delay(50);
        }
    }
}
