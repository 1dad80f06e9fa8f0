using System.Diagnostics;
using System.Net.WebSockets;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Streaming;

/// <summary>
/// WebSocket through Sluice the way the guide's configuration asks for it (HTTP/1.1, Upgrade and
/// Connection passed on): 10,000 messages of every size echo back in order and intact, and a tunnel nobody
/// uses is closed after proxy_read_timeout.
/// </summary>
public sealed class WebSocketTests
{
    private readonly ITestOutputHelper _output;

    public WebSocketTests(ITestOutputHelper output) => _output = output;

    private static string Config(int port, string backend) => $$"""
        events {}
        http {
            access_log off;
            upstream backend { server {{backend}}; }
            server {
                listen 127.0.0.1:{{port}};
                location /ws {
                    proxy_pass http://backend;
                    proxy_http_version 1.1;
                    proxy_set_header Upgrade $http_upgrade;
                    proxy_set_header Connection "upgrade";
                    proxy_read_timeout 2s;
                }
            }
        }
        """;

    [Fact]
    public async Task Ten_thousand_messages_echo_both_ways_in_order()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var sluice = await SluiceInstance.StartAsync(port => Config(port, backend.Address));
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{sluice.Port}/ws"), CancellationToken.None);

        const int messages = 10_000;
        var random = new Random(42);
        var sent = new List<byte[]>(messages);
        for (var i = 0; i < messages; i++)
        {
            var size = i % 1000 == 0 ? 70_000 : random.Next(1, 600);
            var message = new byte[size];
            random.NextBytes(message);
            BitConverter.TryWriteBytes(message.AsSpan(0, Math.Min(4, size)), i);
            sent.Add(message);
        }

        // Send and receive at once: the tunnel must carry both directions together.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var sending = Task.Run(async () =>
        {
            foreach (var message in sent)
            {
                await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, timeout.Token);
            }
        });

        var buffer = new byte[1 << 17];
        var received = 0;
        var started = Stopwatch.GetTimestamp();
        while (received < messages)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            Assert.True(buffer.AsSpan(0, length).SequenceEqual(sent[received]), $"message {received} came back changed");
            received++;
        }

        await sending;
        _output.WriteLine($"{messages} messages echoed in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.00} s");
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task An_idle_tunnel_is_closed_after_proxy_read_timeout()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var sluice = await SluiceInstance.StartAsync(port => Config(port, backend.Address));
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{sluice.Port}/ws"), CancellationToken.None);
        await socket.SendAsync("ping"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[16];
        await socket.ReceiveAsync(buffer, CancellationToken.None);

        // Nothing moves now: after 2 s (proxy_read_timeout) the connection ends.
        var started = Stopwatch.GetTimestamp();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var result = await socket.ReceiveAsync(buffer, limit.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new WebSocketException("closed");
            }
        });
        var idle = Stopwatch.GetElapsedTime(started).TotalSeconds;
        _output.WriteLine($"closed after {idle:0.00} s idle");
        Assert.InRange(idle, 1.8, 6);
    }
}
