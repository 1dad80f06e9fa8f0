using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Upstreams;

/// <summary>
/// Upstream connection reuse as nginx does it, counted at the backends: <c>keepalive N</c> (with
/// <c>proxy_http_version 1.1</c> and an empty Connection header) keeps at most N idle connections, without it
/// every request has its own, <c>keepalive_requests</c> retires a connection, and a connection the backend
/// closed while idle is never used for a request that then fails.
/// </summary>
public sealed class KeepaliveTests
{
    private const int Concurrency = 16;
    private readonly ITestOutputHelper _output;

    public KeepaliveTests(ITestOutputHelper output) => _output = output;

    private static string Config(int port, string b1, string b2, string b3, string upstreamExtra, string locationExtra) => $$"""
        events {}
        http {
            access_log off;
            upstream backend { server {{b1}}; server {{b2}}; server {{b3}}; {{upstreamExtra}} }
            server {
                listen 127.0.0.1:{{port}};
                location / { proxy_pass http://backend; {{locationExtra}} }
            }
        }
        """;

    /// <param name="expected">The most connections allowed; -1 for exactly one per request.</param>
    [Theory]
    [InlineData("keepalive 32;", "proxy_http_version 1.1; proxy_set_header Connection \"\";", 10_000, 32 + Concurrency)]
    [InlineData("", "proxy_http_version 1.1; proxy_set_header Connection \"\";", 2_000, -1)]
    [InlineData("keepalive 32;", "", 2_000, -1)]
    public async Task Connections_opened_to_the_backends(string upstreamExtra, string locationExtra, int total, int expected)
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var b2 = await TestBackend.StartAsync("b2");
        await using var b3 = await TestBackend.StartAsync("b3");
        await using var sluice = await SluiceInstance.StartAsync(port => Config(port, b1.Address, b2.Address, b3.Address, upstreamExtra, locationExtra));
        var backends = new[] { b1, b2, b3 };

        // Half sequential, half from 16 clients at once.
        using var client = new HttpClient { BaseAddress = new Uri(sluice.Url) };
        var failed = 0;
        for (var i = 0; i < total / 2; i++)
        {
            using var response = await client.GetAsync($"/seq/{i}");
            failed += response.IsSuccessStatusCode ? 0 : 1;
        }

        var next = total / 2;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            while (Interlocked.Decrement(ref next) >= 0)
            {
                using var response = await client.GetAsync("/par");
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));

        var connections = backends.Sum(b => b.Connections);
        var requests = backends.Sum(b => b.Requests);
        _output.WriteLine($"{requests} requests over {connections} connections");
        Assert.Equal(0, failed);
        Assert.Equal(total, requests);
        if (expected < 0)
        {
            Assert.Equal(total, connections);
        }
        else
        {
            Assert.InRange(connections, 3, expected);
        }
    }

    [Fact]
    public async Task Keepalive_requests_retires_a_connection_after_so_many_requests()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var sluice = await SluiceInstance.StartAsync(port => $$"""
            events {}
            http {
                access_log off;
                upstream backend { server {{b1.Address}}; keepalive 8; keepalive_requests 10; }
                server {
                    listen 127.0.0.1:{{port}};
                    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
                }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri(sluice.Url) };
        for (var i = 0; i < 100; i++)
        {
            (await client.GetAsync($"/{i}")).EnsureSuccessStatusCode();
        }

        Assert.Equal(10, b1.Connections);
    }

    [Fact]
    public async Task A_connection_the_backend_closed_while_idle_never_fails_a_request()
    {
        // The backend closes every idle connection between rounds; Sluice would keep them a minute. A request
        // sent on one of them would fail (proxy_next_upstream off, as nginx does when the backend closes a
        // connection just as a request arrives): Sluice sees the close when it takes the connection, as
        // nginx sees it at once, and connects anew.
        await using var b1 = new RawBackend(_ => RawBackend.Ok("b1"));
        await using var sluice = await SluiceInstance.StartAsync(port => $$"""
            events {}
            http {
                access_log off;
                upstream backend { server {{b1.Address}} max_fails=1; server {{b1.Address}} max_fails=1; keepalive 8; }
                server {
                    listen 127.0.0.1:{{port}};
                    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_next_upstream off; }
                }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri(sluice.Url) };
        for (var round = 0; round < 3; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async i => (await client.GetAsync($"/{round}/{i}")).EnsureSuccessStatusCode()));
            b1.CloseConnections();
        }

        Assert.True(b1.Connections > 8, $"the closed connections were replaced ({b1.Connections} accepted)");
        Assert.Equal(24, b1.Requests);
        Assert.DoesNotContain("[error]", sluice.ErrorLog, StringComparison.Ordinal);
    }
}
