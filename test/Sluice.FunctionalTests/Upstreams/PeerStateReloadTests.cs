using Sluice.FunctionalTests.Infrastructure;

namespace Sluice.FunctionalTests.Upstreams;

/// <summary>
/// A reload that keeps a peer keeps what Sluice knows about it: a peer taken out by max_fails stays out
/// for the rest of its fail_timeout, and least_conn still counts the requests that were in flight on it
/// (a long SSE stream, here a held request) — even when the group itself changed.
/// </summary>
public sealed class PeerStateReloadTests
{
    private static string Config(int port, string b1, string b2, string dead, bool grown) => $$"""
        events {}
        http {
            access_log off;
            upstream failing {
                server {{b1}} max_fails=1 fail_timeout=60s;
                server {{dead}} max_fails=1 fail_timeout=60s;
                {{(grown ? $"server {b2} max_fails=1 fail_timeout=60s;" : "")}}
            }
            upstream least {
                least_conn;
                server {{b1}};
                server {{b2}};
                {{(grown ? $"server {dead} down;" : "")}}
            }
            server {
                listen 127.0.0.1:{{port}};
                location /failing/ { proxy_pass http://failing; }
                location /least/ { proxy_pass http://least; }
                location = /generation { return 200 "{{(grown ? "grown" : "first")}}"; }
            }
        }
        """;

    [Fact]
    public async Task Failed_and_busy_peers_stay_so_across_a_reload_that_changes_their_group()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var b2 = await TestBackend.StartAsync("b2");
        var dead = $"127.0.0.1:{FreePort.Next()}";
        string? conf = null;
        await using var sluice = await SluiceInstance.StartAsync(port =>
        {
            conf = Config(port, b1.Address, b2.Address, dead, grown: false);
            return conf;
        });
        using var client = new HttpClient { BaseAddress = new Uri(sluice.Url), Timeout = TimeSpan.FromSeconds(30) };

        // The dead peer fails once and is out for 60 s; a request is held on b1 through least_conn.
        for (var i = 0; i < 4; i++)
        {
            (await client.GetAsync($"/failing/{i}")).EnsureSuccessStatusCode();
        }

        // The error log is written off the request path: its line may follow the response by a moment.
        await Eventually.TrueAsync(() => ConnectFailures(sluice.ErrorLog, dead) == 1, "one connect() failure logged for the dead peer");
        var held = client.GetAsync("/least/hold/1");
        await Eventually.TrueAsync(() => b1.Held + b2.Held == 1, "the held request reached a backend");
        var busy = b1.Held == 1 ? b1 : b2;
        var idle = busy == b1 ? b2 : b1;

        // Reload with both groups changed (a server added to each).
        var port = sluice.Port;
        File.WriteAllText(Path.Combine(sluice.Logs, "..", "conf", "sluice.conf"), "pid logs/sluice.pid;\nerror_log logs/error.log info;\n" + Config(port, b1.Address, b2.Address, dead, grown: true));
        await sluice.Process.SignalAsync("HUP");
        await Eventually.TrueAsync(() => client.GetStringAsync("/generation").GetAwaiter().GetResult() == "grown", "the new configuration serves");

        // Still out: no new attempt on the dead peer.
        for (var i = 0; i < 12; i++)
        {
            (await client.GetAsync($"/failing/after/{i}")).EnsureSuccessStatusCode();
        }

        Assert.Equal(1, ConnectFailures(sluice.ErrorLog, dead));

        // Still busy: least_conn sends every new request to the idle peer while the held one is in flight.
        var before = idle.Requests;
        var busyBefore = busy.Requests;
        for (var i = 0; i < 6; i++)
        {
            (await client.GetAsync($"/least/quick/{i}")).EnsureSuccessStatusCode();
        }

        Assert.Equal(before + 6, idle.Requests);
        Assert.Equal(busyBefore, busy.Requests);

        b1.ReleaseHeld();
        b2.ReleaseHeld();
        (await held).EnsureSuccessStatusCode();
    }

    private static int ConnectFailures(string errorLog, string address) =>
        errorLog.Split('\n').Count(line => line.Contains("connect() failed", StringComparison.Ordinal) && line.Contains(address, StringComparison.Ordinal));
}
