using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Http;

/// <summary>
/// The Connection (and Keep-Alive) response header against nginx's: <c>keep-alive</c> for an HTTP/1.1 request
/// or an HTTP/1.0 one that asks for it, <c>close</c> when the client asks, after nginx's built-in 400, 413 and 500
/// pages (with or without error_page), with keepalive_timeout 0 and on the last request keepalive_requests allows;
/// <c>Keep-Alive: timeout=N</c> when keepalive_timeout names a header time.
/// </summary>
public sealed class ConnectionHeaderDifferentialTests : IClassFixture<ConnectionHeaderDifferentialTests.Fixture>
{
    public sealed class Fixture : DifferentialFixture
    {
        protected override int Backends => 1;

        protected override string Config => """
            events {}
            http {
                client_max_body_size 16;
                server {
                    listen {{LISTEN}};
                    root {{ROOT}};
                    location = /ok { return 200 "ok\n"; }
                    location = /error500 { return 500; }
                    location = /error500-text { return 500 "text of our own\n"; }
                    location = /error500-page { error_page 500 /page.txt; return 500; }
                    location = /error404 { return 404; }
                    location = /timeout0 { keepalive_timeout 0; return 200 "ok\n"; }
                    location = /timeout-header { keepalive_timeout 30s 20s; return 200 "ok\n"; }
                    location = /one-request { keepalive_requests 1; return 200 "ok\n"; }
                    location /proxied/ { proxy_pass http://{{B1}}/; }
                }
            }
            """;

        protected override IDictionary<string, string> Files => new Dictionary<string, string> { ["page.txt"] = "error page\n" };
    }

    private readonly DifferentialRig _rig;
    private readonly ITestOutputHelper _output;

    public ConnectionHeaderDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _rig = fixture.Rig;
        _output = output;
    }

    [Theory]
    [InlineData("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n", "keep-alive")]
    [InlineData("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "close")]
    [InlineData("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, Close\r\n\r\n", "close")]
    [InlineData("GET /ok HTTP/1.0\r\n\r\n", "close")]
    [InlineData("GET /ok HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "keep-alive")]
    [InlineData("GET /page.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "keep-alive")]
    [InlineData("GET /error500 HTTP/1.1\r\nHost: x\r\n\r\n", "close")]
    [InlineData("GET /error500-text HTTP/1.1\r\nHost: x\r\n\r\n", "keep-alive")]
    [InlineData("GET /error500-page HTTP/1.1\r\nHost: x\r\n\r\n", "close")]
    [InlineData("GET /error404 HTTP/1.1\r\nHost: x\r\n\r\n", "keep-alive")]
    [InlineData("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n", "keep-alive")]
    [InlineData("GET /ok HTTP/1.1\r\nHost: bad..host\r\n\r\n", "close")]
    [InlineData("POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n0123456789abcdefg", "close")]
    [InlineData("GET /timeout0 HTTP/1.1\r\nHost: x\r\n\r\n", "close")]
    [InlineData("GET /timeout-header HTTP/1.1\r\nHost: x\r\n\r\n", "keep-alive")]
    [InlineData("GET /one-request HTTP/1.1\r\nHost: x\r\n\r\n", "close")]
    [InlineData("GET /proxied/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "close")]
    public async Task Connection_header_matches_nginx(string raw, string expected)
    {
        var (nginx, sluice) = await _rig.SendRawAsync(raw);
        DifferentialAssert.Same(nginx, sluice, _output);

        // The comparison above covers it; this says which answer the case is about.
        Assert.Equal(expected, sluice.Header("connection"));
    }

    /// <summary>An upstream's own 500 is not nginx's error page: the connection stays open.</summary>
    [Fact]
    public async Task Proxied_error_keeps_the_connection()
    {
        var (nginx, sluice) = await _rig.SendAsync("/proxied/status/500");
        DifferentialAssert.Same(nginx, sluice, _output);
        Assert.Equal("keep-alive", sluice.Header("connection"));
    }

    [Fact]
    public async Task Keep_alive_header_names_the_configured_time()
    {
        var (nginx, sluice) = await _rig.SendRawAsync("GET /timeout-header HTTP/1.1\r\nHost: x\r\n\r\n");
        DifferentialAssert.Same(nginx, sluice, _output);
        Assert.Equal("timeout=20", sluice.Header("keep-alive"));
    }
}
