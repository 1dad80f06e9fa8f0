using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Upstreams;

/// <summary>
/// Upstream keepalive against nginx, counted at the backend: <c>keepalive_timeout</c> closes an idle
/// connection, <c>keepalive_time</c> retires an old one after its response, no reuse without an empty
/// Connection header; and a cached connection the backend closes just as the next request arrives is nginx's
/// case exactly — a failure of the peer, one more try, then proxy_next_upstream and non_idempotent decide.
/// </summary>
public sealed class KeepaliveDifferentialTests
{
    private const string Reuse = "proxy_http_version 1.1; proxy_set_header Connection \"\";";

    private readonly ITestOutputHelper _output;

    public KeepaliveDifferentialTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task A_cached_connection_closed_as_the_request_arrives_is_a_failure_and_one_more_try_like_nginx()
    {
        // Answers the first request of each connection, and closes the connection when the second arrives.
        await using var racer = new RawBackend(n => n == 1 ? RawBackend.Ok("racer") : null);
        await using var good = await TestBackend.StartAsync("good");
        var config = """
            events {}
            http {
                log_format attempts '$request_method $request_uri $status addr=[$upstream_addr] status=[$upstream_status]';
                access_log {{LOGS}}/attempts.log attempts;
                upstream single { server RACER; keepalive 4; }
                upstream off { server RACER; keepalive 4; }
                upstream post { server RACER; keepalive 4; }
                upstream post_any { server RACER; keepalive 4; }
                upstream pair { server RACER fail_timeout=60s; server GOOD fail_timeout=60s; keepalive 4; }
                server {
                    listen {{LISTEN}};
                    REUSE
                    location /single/ { proxy_pass http://single; }
                    location /off/ { proxy_pass http://off; proxy_next_upstream off; }
                    location /post/ { proxy_pass http://post; }
                    location /post_any/ { proxy_pass http://post_any; proxy_next_upstream error timeout non_idempotent; }
                    location /pair/ { proxy_pass http://pair; }
                }
            }
            """.Replace("RACER", racer.Address, StringComparison.Ordinal).Replace("GOOD", good.Address, StringComparison.Ordinal);
        await using var rig = await DifferentialRig.StartAsync(config.Replace("REUSE", Reuse, StringComparison.Ordinal));

        var requests = new (string Method, string Path)[]
        {
            ("GET", "/single/1"), ("GET", "/single/2"), ("GET", "/single/3"),
            ("GET", "/off/1"), ("GET", "/off/2"), ("GET", "/off/3"),
            ("POST", "/post/1"), ("POST", "/post/2"), ("POST", "/post/3"),
            ("POST", "/post_any/1"), ("POST", "/post_any/2"),
            ("GET", "/pair/1"), ("GET", "/pair/2"), ("GET", "/pair/3"), ("GET", "/pair/4"),
        };
        foreach (var (method, path) in requests)
        {
            var (nginx, sluice) = await rig.SendAsync(path, m =>
            {
                m.Method = new HttpMethod(method);
                if (method == "POST")
                {
                    m.Content = new StringContent("payload");
                }
            });
            Assert.Equal(nginx.Status, sluice.Status);
        }

        await Eventually.TrueAsync(() => Lines(rig.SluiceAccessLog("attempts.log")).Count == requests.Length, "the access log is written");
        var nginxLines = Lines(rig.NginxAccessLog("attempts.log"));
        var sluiceLines = Lines(rig.SluiceAccessLog("attempts.log"));
        _output.WriteLine("nginx:\n" + string.Join("\n", nginxLines) + "\nsluice:\n" + string.Join("\n", sluiceLines));
        Assert.Equal(nginxLines, sluiceLines);

        // A GET goes once more (the same peer when it is the only one); a POST is not sent twice, nor anything with proxy_next_upstream off.
        var r = racer.Address;
        Assert.Contains($"GET /single/2 200 addr=[{r}, {r}] status=[502, 200]", sluiceLines);
        Assert.Contains($"GET /off/2 502 addr=[{r}] status=[502]", sluiceLines);
        Assert.Contains($"POST /post/2 502 addr=[{r}] status=[502]", sluiceLines);
        Assert.Contains($"POST /post_any/2 200 addr=[{r}, {r}] status=[502, 200]", sluiceLines);

        // In a group of two the closing peer is failed (max_fails=1): the request moves on, and the peer is out.
        Assert.Contains($"GET /pair/3 200 addr=[{r}, {good.Address}] status=[502, 200]", sluiceLines);
        Assert.Contains($"GET /pair/4 200 addr=[{good.Address}] status=[200]", sluiceLines);
        foreach (var message in new[] { "prematurely closed", "temporarily disabled" })
        {
            var (nginxErrors, sluiceErrors) = rig.ErrorMessages(message);
            _output.WriteLine(string.Join("\n", sluiceErrors));
            Assert.Equal(nginxErrors, sluiceErrors);
            Assert.NotEmpty(sluiceErrors);
        }
    }

    [Fact]
    public async Task Keepalive_timeout_closes_an_idle_connection_like_nginx()
    {
        await using var rig = await DifferentialRig.StartAsync(Config("keepalive 4; keepalive_timeout 1s;", Reuse), backendCount: 1);
        var backend = rig.Backends[0];
        foreach (var port in new[] { rig.NginxPort, rig.SluicePort })
        {
            // The other proxy's last connection is closed first, so that what closes now is this one's.
            await Eventually.TrueAsync(() => backend.ClosedConnections == backend.Connections, "no connection is open");
            var opened = backend.Connections;
            var closed = backend.ClosedConnections;

            // Two requests share a connection, which the proxy then closes after a second idle (the backend
            // would keep it 130 s), and the next request needs a new one.
            await GetAsync(port, "/1");
            await GetAsync(port, "/2");
            Assert.Equal(opened + 1, backend.Connections);
            await Eventually.TrueAsync(() => backend.ClosedConnections == closed + 1, $"the proxy on {port} closes its idle connection");
            await GetAsync(port, "/3");
            Assert.Equal(opened + 2, backend.Connections);
        }
    }

    [Fact]
    public async Task Keepalive_time_retires_a_connection_after_its_response_like_nginx()
    {
        await using var rig = await DifferentialRig.StartAsync(Config("keepalive 4; keepalive_time 1s; keepalive_timeout 60s;", Reuse), backendCount: 1);
        var backend = rig.Backends[0];
        foreach (var port in new[] { rig.NginxPort, rig.SluicePort })
        {
            var opened = backend.Connections;
            var closed = backend.ClosedConnections;
            await GetAsync(port, "/1");

            // Older than keepalive_time, the connection still serves the next request, then is closed, not kept.
            await Task.Delay(1500);
            await GetAsync(port, "/2");
            Assert.Equal(opened + 1, backend.Connections);
            await Eventually.TrueAsync(() => backend.ClosedConnections == closed + 1, $"the proxy on {port} retires the old connection");
            await GetAsync(port, "/3");
            await GetAsync(port, "/4");
            Assert.Equal(opened + 2, backend.Connections);
        }
    }

    [Theory]
    [InlineData("proxy_http_version 1.1;")]
    [InlineData("proxy_set_header Connection \"\";")]
    public async Task Keepalive_needs_http_1_1_and_an_empty_connection_header_like_nginx(string location)
    {
        // Either alone sends "Connection: close" (nginx's default header) or HTTP/1.0: one connection per request.
        await using var rig = await DifferentialRig.StartAsync(Config("keepalive 4;", location), backendCount: 1);
        var backend = rig.Backends[0];
        var perServer = new List<int>();
        foreach (var port in new[] { rig.NginxPort, rig.SluicePort })
        {
            var opened = backend.Connections;
            for (var i = 0; i < 5; i++)
            {
                await GetAsync(port, $"/{i}");
            }

            perServer.Add(backend.Connections - opened);
        }

        Assert.Equal([5, 5], perServer);
    }

    private static string Config(string upstream, string location) => """
        events {}
        http {
            access_log off;
            upstream backend { server {{B1}}; UPSTREAM }
            server {
                listen {{LISTEN}};
                location / { proxy_pass http://backend; LOCATION }
            }
        }
        """.Replace("UPSTREAM", upstream, StringComparison.Ordinal).Replace("LOCATION", location, StringComparison.Ordinal);

    private static async Task GetAsync(int port, string path)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await client.GetAsync($"http://127.0.0.1:{port}{path}");
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The lines by request: a proxy may log a request after the client has its answer and sent the next one.</summary>
    private static List<string> Lines(string log) => [.. log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];
}
