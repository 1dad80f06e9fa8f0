using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Streaming;

/// <summary>
/// The client side of a connection as nginx runs it: keepalive_requests ends a connection with its last
/// answer, send_timeout drops a client that stopped taking the response, and with proxy_buffering off (only)
/// every event reaches the client as the backend writes it.
/// </summary>
public sealed class ClientLimitsTests
{
    private readonly ITestOutputHelper _output;

    public ClientLimitsTests(ITestOutputHelper output) => _output = output;

    private static string Config(int port, string backend) => $$"""
        events {}
        http {
            access_log off;
            keepalive_requests 3;
            send_timeout 1s;
            upstream backend { server {{backend}}; }
            server {
                listen 127.0.0.1:{{port}};
                location / { proxy_pass http://backend; }
                location /stream/ { proxy_pass http://backend; proxy_buffering off; proxy_read_timeout 300s; }
                location = /plain { return 200 "plain\n"; }
            }
        }
        """;

    [Fact]
    public async Task Keepalive_requests_closes_the_connection_after_its_last_answer_like_nginx()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var rig = await DifferentialRig.StartAsync(Config(0, "{{B1}}").Replace("listen 127.0.0.1:0;", "listen {{LISTEN}};", StringComparison.Ordinal), 1);
        foreach (var port in new[] { rig.NginxPort, rig.SluicePort })
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            var connectionHeaders = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /plain HTTP/1.1\r\nHost: a\r\n\r\n"));
                var head = await ReadResponseAsync(stream);
                connectionHeaders.Add(head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase)) ?? "-");
            }

            _output.WriteLine($"{port}: {string.Join(" | ", connectionHeaders)}");
            // nginx also says "Connection: keep-alive" on the others, which Kestrel leaves implicit (HTTP/1.1's default).
            Assert.DoesNotContain("Connection: close", connectionHeaders.Take(2));
            Assert.Equal("Connection: close", connectionHeaders[2]);
            Assert.Equal(0, await stream.ReadAsync(new byte[16]));
        }
    }

    [Fact]
    public async Task Send_timeout_drops_a_client_that_stopped_reading()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var sluice = await SluiceInstance.StartAsync(port => Config(port, backend.Address));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
        await client.ConnectAsync(IPAddress.Loopback, sluice.Port);
        const long total = 200L * 1024 * 1024;
        await client.SendAsync(Encoding.ASCII.GetBytes($"GET /bytes/{total} HTTP/1.1\r\nHost: a\r\n\r\n"));

        // Nothing is read: once the buffers are full, one second later Sluice gives up on the client.
        await Eventually.TrueAsync(
            () => sluice.ErrorLog.Contains("client timed out (110: Connection timed out) while sending to client", StringComparison.Ordinal),
            "send_timeout fires",
            TimeSpan.FromSeconds(15));

        long received = 0;
        var buffer = new byte[65536];
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            int read;
            while ((read = await client.ReceiveAsync(buffer, SocketFlags.None, limit.Token)) > 0)
            {
                received += read;
            }
        }
        catch (SocketException)
        {
        }

        _output.WriteLine($"received {received / 1048576.0:0.0} MiB of {total / 1048576} before the close");
        Assert.True(received < total, "the connection was closed before the whole response");
    }

    /// <summary>
    /// Each event of a stream is written by the backend once the client saw the previous one (at most a second
    /// later): with proxy_buffering off all arrive in time; with it on (nginx's default) the small events are
    /// gathered into a buffer and none does.
    /// </summary>
    [Theory]
    [InlineData("/stream/events", 3)]
    [InlineData("/events", 0)]
    public async Task Only_with_buffering_off_each_event_arrives_when_it_is_written(string target, int inTime)
    {
        var events = new AcknowledgedEvents();
        await using var backend = new ScriptedBackend().On("/", events.Script(3, TimeSpan.FromSeconds(1)));
        await using var sluice = await SluiceInstance.StartAsync(port => Config(port, backend.Address));
        Assert.Equal(inTime, await events.ReadAsync(sluice.Port, target, 3));
    }

    private static async Task<string> ReadResponseAsync(NetworkStream stream)
    {
        var data = new List<byte>();
        var buffer = new byte[1];
        while (!(data.Count >= 4 && data[^4] == '\r' && data[^3] == '\n' && data[^2] == '\r' && data[^1] == '\n'))
        {
            if (await stream.ReadAsync(buffer) == 0)
            {
                break;
            }

            data.Add(buffer[0]);
        }

        var head = Encoding.ASCII.GetString([.. data]);
        var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } header
            ? int.Parse(header[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture)
            : 0;
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return head;
    }
}
