using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Upstreams;

/// <summary>
/// How an upstream failure is told, side by side with nginx: the error log line word for word after the
/// timestamp and pid (ports masked) — refused, reset, timed out or closed while connecting, sending, reading the
/// head or reading the body, an invalid or too big head — and the status, the fall-through of a connect timeout
/// to the next server, and a client connection idle past keepalive_timeout.
/// </summary>
public sealed class UpstreamErrorsDifferentialTests : IClassFixture<UpstreamErrorsDifferentialTests.Fixture>
{
    private readonly Fixture _fixture;
    private readonly ITestOutputHelper _output;

    public UpstreamErrorsDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    private DifferentialRig Rig => _fixture.Rig;

    public sealed class Fixture : IAsyncLifetime
    {
        private readonly List<Socket> _backlog = [];

        public DifferentialRig Rig { get; private set; } = null!;

        public ScriptedBackend Scripted { get; } = new();

        /// <summary>A listener that never accepts, its backlog full: a connect to it hangs (proxy_connect_timeout).</summary>
        public TcpListener Blackhole { get; } = new(IPAddress.Loopback, 0);

        public async Task InitializeAsync()
        {
            const string Head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
            var firstBytes = Head + new string('a', 1000);
            Scripted
                .On("/reset", request =>
                {
                    request.Reset();
                    return Task.CompletedTask;
                })
                .On("/premature", _ => Task.CompletedTask)
                .On("/silent", request => Task.Delay(Timeout.Infinite, request.Stopping))
                .Answer("/invalid", "HTTP/1.1 200 OK\r\nBad Header\u0001: x\r\nContent-Length: 4\r\n\r\nbody")
                .Answer("/garbage", "garbage here\r\nmore\r\n")
                .Answer("/toobig", $"HTTP/1.1 200 OK\r\nX-Big: {new string('x', 5000)}\r\nContent-Length: 4\r\n\r\nbody")
                .On("/body-reset", async request =>
                {
                    await request.SendAsync(firstBytes);
                    await Task.Delay(200);
                    request.Reset();
                })
                .On("/body-premature", async request =>
                {
                    await request.SendAsync(firstBytes);
                    await Task.Delay(200);
                })
                .On("/body-silent", async request =>
                {
                    await request.SendAsync(firstBytes);
                    await Task.Delay(Timeout.Infinite, request.Stopping);
                })
                .On("/sending/", request => Task.Delay(Timeout.Infinite, request.Stopping));

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
                    log_format attempts '$request_uri $status upstream=[$upstream_addr] status=[$upstream_status]';
                    access_log {{LOGS}}/attempts.log attempts;
                    keepalive_timeout 1s;
                    proxy_read_timeout 1s;
                    upstream scripted { server SCRIPTED max_fails=0; }
                    upstream refused { server 127.0.0.1:1; }
                    upstream fallthrough { server 127.0.0.1:BLACKHOLE; server {{B1}}; }
                    server {
                        listen {{LISTEN}};
                        location / { proxy_pass http://scripted; }
                        location /unbuffered/ { proxy_pass http://scripted/; proxy_buffering off; }
                        location /refused { proxy_pass http://refused; }
                        location /sending/ { proxy_pass http://scripted; proxy_send_timeout 1s; client_max_body_size 0; }
                        location /fallthrough { proxy_pass http://fallthrough; proxy_connect_timeout 1s; }
                        location = /plain { return 200 "plain\n"; }
                    }
                }
                """.Replace("SCRIPTED", Scripted.Address, StringComparison.Ordinal).Replace("BLACKHOLE", blackhole.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), 1);
        }

        public async Task DisposeAsync()
        {
            await Rig.DisposeAsync();
            await Scripted.DisposeAsync();
            foreach (var socket in _backlog)
            {
                socket.Dispose();
            }

            Blackhole.Stop();
        }
    }

    [Theory]
    [InlineData("/refused", 502, "connect() failed (111: Connection refused) while connecting to upstream")]
    [InlineData("/reset", 502, "recv() failed (104: Connection reset by peer) while reading response header from upstream")]
    [InlineData("/premature", 502, "upstream prematurely closed connection while reading response header from upstream")]
    [InlineData("/silent", 504, "upstream timed out (110: Connection timed out) while reading response header from upstream")]
    [InlineData("/invalid", 502, "upstream sent invalid header: \"Bad\\x20...\" while reading response header from upstream")]
    [InlineData("/toobig", 502, "upstream sent too big header while reading response header from upstream")]
    public async Task A_failure_before_the_head_is_answered_and_logged_like_nginx(string path, int status, string message)
    {
        foreach (var (who, port, logs) in Servers())
        {
            using var client = await RawHttpClient.ConnectAsync(port);
            await client.SendAsync($"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(status, (await client.ReadHeadAsync())?.Status);
            _output.WriteLine($"{who}: {status}");
        }

        await AssertLoggedAlikeAsync(path, message);
    }

    /// <summary>
    /// A status line that is not one: nginx logs it as an error and passes the bytes on as an HTTP/0.9 answer
    /// (no status line, $status 009); Sluice logs the same line and answers 502 (see docs/configuration.md).
    /// </summary>
    [Fact]
    public async Task A_garbage_status_line_is_logged_like_nginx()
    {
        using (var client = await RawHttpClient.ConnectAsync(Rig.NginxPort))
        {
            await client.SendAsync("GET /garbage HTTP/1.1\r\nHost: a\r\n\r\n");
            var (bytes, _) = await client.ReadBodyAsync(20, TimeSpan.FromSeconds(10), new MemoryStream());
            Assert.Equal(20, bytes);
        }

        using (var client = await RawHttpClient.ConnectAsync(Rig.SluicePort))
        {
            await client.SendAsync("GET /garbage HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(502, (await client.ReadHeadAsync())?.Status);
        }

        await AssertLoggedAlikeAsync("/garbage", "upstream sent no valid HTTP/1.0 header while reading response header from upstream");
    }

    [Theory]
    [InlineData("/body-reset", "readv() failed (104: Connection reset by peer) while reading upstream")]
    [InlineData("/unbuffered/body-reset", "recv() failed (104: Connection reset by peer) while reading upstream")]
    [InlineData("/body-premature", "upstream prematurely closed connection while reading upstream")]
    [InlineData("/unbuffered/body-premature", "upstream prematurely closed connection while reading upstream")]
    [InlineData("/body-silent", "upstream timed out (110: Connection timed out) while reading upstream")]
    [InlineData("/unbuffered/body-silent", "upstream timed out (110: Connection timed out) while reading upstream")]
    public async Task A_failure_in_the_body_is_logged_like_nginx_and_the_client_connection_closed(string path, string message)
    {
        foreach (var (_, port, _) in Servers())
        {
            using var client = await RawHttpClient.ConnectAsync(port);
            await client.SendAsync($"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n");

            // Whatever came of the body, the connection ends short of the 100,000 bytes promised.
            var (bytes, _) = await client.ReadToEndAsync(TimeSpan.FromSeconds(10));
            Assert.True(bytes.Length < 100_000);
        }

        await AssertLoggedAlikeAsync(path, message);
    }

    [Fact]
    public async Task An_upstream_that_does_not_take_the_request_body_times_out_with_proxy_send_timeout()
    {
        // More than the socket buffers between proxy and upstream hold: the proxy's writes wait, then time out.
        var body = new byte[8 * 1024 * 1024];
        foreach (var (who, port, _) in Servers())
        {
            using var client = await RawHttpClient.ConnectAsync(port);
            await client.SendAsync($"POST /sending/upload HTTP/1.1\r\nHost: a\r\nContent-Length: {body.Length}\r\n\r\n");
            await client.SendAsync(body);
            var status = (await client.ReadHeadAsync())?.Status;
            _output.WriteLine($"{who}: {status}");
            Assert.Equal(504, status);
        }

        await AssertLoggedAlikeAsync("/sending/upload", "upstream timed out (110: Connection timed out) while sending request to upstream");
    }

    [Fact]
    public async Task A_connect_timeout_falls_through_to_the_next_server_like_nginx()
    {
        foreach (var (_, port, _) in Servers())
        {
            using var client = await RawHttpClient.ConnectAsync(port);
            await client.SendAsync("GET /fallthrough HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await client.ReadHeadAsync())?.Status);
        }

        await AssertLoggedAlikeAsync("/fallthrough", "upstream timed out (110: Connection timed out) while connecting to upstream");
        var nginx = await AccessLineAsync(Rig.NginxAccessLog, "/fallthrough ");
        var sluice = await AccessLineAsync(Rig.SluiceAccessLog, "/fallthrough ");
        _output.WriteLine($"nginx:  {nginx}\nsluice: {sluice}");
        Assert.Equal(nginx, sluice);
        Assert.EndsWith("status=[504, 200]", sluice, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_connection_idle_past_keepalive_timeout_is_closed_like_nginx()
    {
        foreach (var (who, port, _) in Servers())
        {
            using var client = await RawHttpClient.ConnectAsync(port);
            await client.SendAsync("GET /plain HTTP/1.1\r\nHost: a\r\n\r\n");
            var head = await client.ReadHeadAsync();
            Assert.Equal(200, head!.Status);
            Assert.Equal(6, (await client.ReadBodyAsync(head.ContentLength)).Received);

            // Nothing more is sent: the server closes the connection by itself (keepalive_timeout 1s).
            var (rest, _) = await client.ReadToEndAsync(TimeSpan.FromSeconds(10));
            _output.WriteLine($"{who}: closed with {rest.Length} more bytes");
            Assert.Empty(rest);
        }
    }

    private IEnumerable<(string Who, int Port, string Logs)> Servers() =>
    [
        ("nginx", Rig.NginxPort, Rig.NginxLogs),
        ("sluice", Rig.SluicePort, Rig.SluiceLogs),
    ];

    /// <summary>The error lines of the request to <paramref name="path"/> are the same in both logs, in order, and one says <paramref name="message"/>.</summary>
    private async Task AssertLoggedAlikeAsync(string path, string message)
    {
        var request = $"request: \"{(path.StartsWith("/sending/", StringComparison.Ordinal) ? "POST" : "GET")} {path} HTTP/1.1\"";
        var expected = $"[error] {message}, client: 127.0.0.1, server: , {request}, upstream: ";
        foreach (var logs in new[] { Rig.NginxLogs, Rig.SluiceLogs })
        {
            await Eventually.TrueAsync(() => Lines(logs, request).Any(line => line.StartsWith(expected, StringComparison.Ordinal)), $"\"{message}\" in {logs}");
        }

        var nginx = Lines(Rig.NginxLogs, request);
        var sluice = Lines(Rig.SluiceLogs, request);
        _output.WriteLine($"nginx:\n  {string.Join("\n  ", nginx)}\nsluice:\n  {string.Join("\n  ", sluice)}");
        Assert.Equal(nginx, sluice);
    }

    /// <summary>The request's error lines above info, with temp file names (which differ by design) masked.</summary>
    private static List<string> Lines(string logs, string request) =>
        [.. ErrorLogLines.Matching(Path.Combine(logs, "error.log"), request)
            .Where(line => !line.StartsWith("[info]", StringComparison.Ordinal))
            .Select(line => System.Text.RegularExpressions.Regex.Replace(line, "temporary file [^,]+", "temporary file FILE"))];

    private static async Task<string> AccessLineAsync(Func<string, string> log, string prefix)
    {
        string? line = null;
        await Eventually.TrueAsync(() => (line = log("attempts.log").Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))) is not null, $"a log line for {prefix}");
        return ErrorLogLines.Comparable(line!);
    }
}
