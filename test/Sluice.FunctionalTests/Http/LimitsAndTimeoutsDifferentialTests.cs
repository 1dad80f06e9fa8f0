using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Http;

/// <summary>
/// What nginx answers when a client or an upstream misbehaves, side by side with Sluice on the same
/// configuration: 414 and 400 "Request Header Or Cookie Too Large" (494) for heads over
/// large_client_header_buffers, 413 for bodies over client_max_body_size (declared or chunked), a silent
/// close after client_header_timeout and client_body_timeout (408 in the log), 499 for a client that leaves,
/// 502 for a dead or broken upstream, 504 for read and connect timeouts.
/// </summary>
public sealed class LimitsAndTimeoutsDifferentialTests : IClassFixture<LimitsAndTimeoutsDifferentialTests.Fixture>
{
    private readonly Fixture _fixture;
    private readonly ITestOutputHelper _output;

    public LimitsAndTimeoutsDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    private DifferentialRig Rig => _fixture.Rig;

    public sealed class Fixture : IAsyncLifetime
    {
        private readonly List<Socket> _backlog = [];

        public DifferentialRig Rig { get; private set; } = null!;

        /// <summary>A listener that never accepts, its backlog full: a connect to it hangs (proxy_connect_timeout).</summary>
        public TcpListener Blackhole { get; } = new(IPAddress.Loopback, 0);

        public ScriptedBackend Closer { get; } = new();

        public async Task InitializeAsync()
        {
            Blackhole.Start(0);
            var blackhole = ((IPEndPoint)Blackhole.LocalEndpoint).Port;
            for (var i = 0; i < 4; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                _ = socket.ConnectAsync(IPAddress.Loopback, blackhole);
                _backlog.Add(socket);
            }

            await Task.Delay(200);
            Rig = await DifferentialRig.StartAsync("""
                events {}
                http {
                    log_format limits '$request_method $uri $status';
                    access_log {{LOGS}}/limits.log limits;
                    client_max_body_size 1k;
                    client_header_timeout 1s;
                    client_body_timeout 1s;
                    large_client_header_buffers 2 1k;
                    upstream backend { server {{B1}}; }
                    upstream dead { server 127.0.0.1:1; }
                    upstream closer { server CLOSER; }
                    upstream blackhole { server 127.0.0.1:BLACKHOLE; }
                    server {
                        listen {{LISTEN}};
                        location / { proxy_pass http://backend; }
                        location /static { return 200 "static\n"; }
                        location /big { client_max_body_size 0; proxy_pass http://backend; }
                        location /dead { proxy_pass http://dead; }
                        location /closer { proxy_pass http://closer; }
                        location /slow/ { proxy_pass http://backend; proxy_read_timeout 1s; }
                        location /blackhole { proxy_pass http://blackhole; proxy_connect_timeout 1s; }
                    }
                }
                """.Replace("CLOSER", Closer.Address, StringComparison.Ordinal).Replace("BLACKHOLE", blackhole.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), 1);
        }

        public async Task DisposeAsync()
        {
            await Rig.DisposeAsync();
            await Closer.DisposeAsync();
            foreach (var socket in _backlog)
            {
                socket.Dispose();
            }

            Blackhole.Stop();
        }
    }

    public static TheoryData<string, string> Heads => new()
    {
        { "long header line", $"GET /static HTTP/1.1\r\nHost: a\r\nX-Big: {new string('x', 1100)}\r\n\r\n" },
        { "long request line", $"GET /static?{new string('x', 1100)} HTTP/1.1\r\nHost: a\r\n\r\n" },
        { "headers over the buffers", "GET /static HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(0, 4).Select(i => $"X-H{i}: {new string('y', 600)}\r\n")) + "\r\n" },
        { "headers within the buffers", "GET /static HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(0, 3).Select(i => $"X-H{i}: {new string('y', 300)}\r\n")) + "\r\n" },
        { "declared body too large", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n" + new string('a', 2000) },
        { "chunked body too large", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + new string('a', 2000) + "\r\n0\r\n\r\n" },
        { "body within an unlimited location", "POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\nConnection: close\r\n\r\n" + new string('a', 2000) },
        { "dead upstream", "GET /dead HTTP/1.1\r\nHost: a\r\n\r\n" },
        { "upstream closes without a response", "GET /closer HTTP/1.1\r\nHost: a\r\n\r\n" },
        { "upstream read timeout", "GET /slow/3000 HTTP/1.1\r\nHost: a\r\n\r\n" },
        { "upstream connect timeout", "GET /blackhole HTTP/1.1\r\nHost: a\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public async Task Answers_like_nginx(string what, string raw)
    {
        var (nginx, sluice) = await Rig.SendRawAsync(raw);
        _output.WriteLine($"{what}\nnginx:\n{nginx}\nsluice:\n{sluice}");
        Assert.Equal(nginx.Status, sluice.Status);
        Assert.Equal(nginx.Reason, sluice.Reason);
        Assert.Equal(nginx.Header("content-type"), sluice.Header("content-type"));
        Assert.Equal(nginx.Body.Contains("<html>", StringComparison.Ordinal), sluice.Body.Contains("<html>", StringComparison.Ordinal));
        if (nginx.Body.Contains("<html>", StringComparison.Ordinal))
        {
            Assert.Equal(nginx.Body, sluice.Body);
        }
    }

    [Theory]
    [InlineData("header", "GET /static HTTP/1.1\r\nHost: a\r\n", "GET /static 408")]
    [InlineData("body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc", "POST / 408")]
    public async Task A_client_that_stops_sending_is_closed_without_an_answer(string what, string raw, string logged)
    {
        var nginx = await SilentAsync(Rig.NginxPort, raw);
        var sluice = await SilentAsync(Rig.SluicePort, raw);
        _output.WriteLine($"{what}: nginx closed after {nginx.Elapsed.TotalSeconds:0.0}s with {nginx.Bytes} bytes, sluice after {sluice.Elapsed.TotalSeconds:0.0}s with {sluice.Bytes} bytes");
        Assert.Equal(0, nginx.Bytes);
        Assert.Equal(0, sluice.Bytes);
        Assert.InRange(sluice.Elapsed.TotalSeconds, 0.9, 3);
        await AssertLoggedByBothAsync(logged);
    }

    /// <summary>
    /// client_header_timeout's error line names what was being read and the request so far, as nginx's does;
    /// nothing sent at all is "waiting for request", with the listening address for server.
    /// </summary>
    [Theory]
    [InlineData("", "while waiting for request")]
    [InlineData("GET /static?line", "while reading client request line, client: 127.0.0.1, server: , request: \"GET /static?line\"")]
    [InlineData("GET /static?headers HTTP/1.1\r\nHost: a\r\nUser-Agent: x", "while reading client request headers, client: 127.0.0.1, server: , request: \"GET /static?headers HTTP/1.1\", host: \"a\"")]
    public async Task A_header_timeout_is_logged_like_nginx(string raw, string marker)
    {
        await SilentAsync(Rig.NginxPort, raw);
        await SilentAsync(Rig.SluicePort, raw);
        var nginx = await ErrorLogLines.LastAsync(Path.Combine(Rig.NginxLogs, "error.log"), marker);
        var sluice = await ErrorLogLines.LastAsync(Path.Combine(Rig.SluiceLogs, "error.log"), marker);
        _output.WriteLine($"nginx:  {nginx}\nsluice: {sluice}");
        Assert.Equal(nginx, sluice);
    }

    /// <summary>
    /// A client that sends a large body at its own pace to a 413 is answered at once, and — as nginx lingers,
    /// reading and dropping the body before it closes — gets to send it all and read the page, where a plain
    /// close would reset the connection under it. The upstream sees nothing of the request.
    /// </summary>
    [Fact]
    public async Task A_client_still_sending_a_body_too_large_gets_the_413_page_and_the_upstream_nothing()
    {
        const int Total = 8 * 1024 * 1024;
        var pages = new List<string>();
        foreach (var port in new[] { Rig.NginxPort, Rig.SluicePort })
        {
            var requests = Rig.Backends[0].Requests;
            using var client = await RawHttpClient.ConnectAsync(port);
            await client.SendAsync($"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: {Total}\r\n\r\n");

            // About 2 MB/s: seconds of sending after the answer, longer than a close without lingering survives.
            var chunk = new byte[64 * 1024];
            for (var sent = 0; sent < Total; sent += chunk.Length)
            {
                await client.SendAsync(chunk);
                await Task.Delay(30);
            }

            var head = await client.ReadHeadAsync();
            Assert.NotNull(head);
            Assert.Equal(413, head.Status);
            using var page = new MemoryStream();
            var (length, reset) = await client.ReadBodyAsync(head.ContentLength, into: page);
            Assert.False(reset);
            Assert.Equal(head.ContentLength, length);
            pages.Add(System.Text.Encoding.ASCII.GetString(page.ToArray()).Replace("nginx/1.22.1", "PRODUCT", StringComparison.Ordinal).Replace(Sluice.Hosting.ProductInfo.NameAndVersion, "PRODUCT", StringComparison.Ordinal));
            Assert.Equal(requests, Rig.Backends[0].Requests);
        }

        Assert.Equal(pages[0], pages[1]);
    }

    [Fact]
    public async Task A_client_that_leaves_while_the_upstream_works_is_499_and_the_upstream_is_let_go()
    {
        foreach (var port in new[] { Rig.NginxPort, Rig.SluicePort })
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            await client.GetStream().WriteAsync("GET /hold/leave HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
            await Eventually.TrueAsync(() => Rig.Backends[0].Held == 1, "the request reached the backend");
            client.Client.Close();

            // The proxy cancels its upstream request at once: the backend sees its request aborted.
            await Eventually.TrueAsync(() => Rig.Backends[0].Held == 0, "the upstream request is cancelled", TimeSpan.FromSeconds(10));
        }

        await AssertLoggedByBothAsync("GET /hold/leave 499");
    }

    private async Task AssertLoggedByBothAsync(string line)
    {
        await Eventually.TrueAsync(() => Rig.SluiceAccessLog("limits.log").Contains(line, StringComparison.Ordinal), $"sluice logs \"{line}\"");
        await Eventually.TrueAsync(() => Rig.NginxAccessLog("limits.log").Contains(line, StringComparison.Ordinal), $"nginx logs \"{line}\"");
    }

    /// <summary>Sends <paramref name="raw"/> and waits for the server to close; how long that took and what it sent.</summary>
    private static async Task<(TimeSpan Elapsed, int Bytes)> SilentAsync(int port, string raw)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(raw));
        var started = Stopwatch.GetTimestamp();
        var bytes = 0;
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                bytes += read;
            }
        }
        catch (IOException)
        {
            // A reset is a close too.
        }

        return (Stopwatch.GetElapsedTime(started), bytes);
    }
}
