using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Streaming;

/// <summary>
/// A client that stops reading does not make Sluice hold the response: while it sits for 30 s, a backend
/// writing 100 MB is held back too (its writes wait), Sluice's memory stays flat, and once the client reads
/// again every byte arrives.
/// </summary>
public sealed class BackpressureTests
{
    private const long Total = 100L * 1024 * 1024;
    private readonly ITestOutputHelper _output;

    public BackpressureTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task A_client_that_stops_reading_holds_back_the_upstream_not_memory()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var sluice = await SluiceInstance.StartAsync(port => $$"""
            events {}
            http {
                access_log off;
                upstream backend { server {{backend.Address}}; keepalive 4; }
                server {
                    listen 127.0.0.1:{{port}};
                    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
                }
            }
            """);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
        await client.ConnectAsync(IPAddress.Loopback, sluice.Port);
        await client.SendAsync(Encoding.ASCII.GetBytes($"GET /bytes/{Total} HTTP/1.1\r\nHost: a\r\n\r\n"));
        var buffer = new byte[65536];
        long received = await client.ReceiveAsync(buffer);

        // The client reads nothing more for 30 s.
        var baseline = Rss(sluice.Process.Pid);
        long peak = baseline;
        for (var i = 0; i < 30; i++)
        {
            await Task.Delay(1000);
            peak = Math.Max(peak, Rss(sluice.Process.Pid));
        }

        var writtenWhileStalled = backend.BytesWritten;
        _output.WriteLine($"while stalled: backend wrote {writtenWhileStalled / 1048576.0:0.0} MiB of 100; sluice RSS {baseline / 1048576.0:0.0} -> peak {peak / 1048576.0:0.0} MiB");
        Assert.True(writtenWhileStalled < Total / 3, $"the backend wrote {writtenWhileStalled} bytes: nothing held it back");
        Assert.True(peak - baseline < 32L * 1024 * 1024, $"Sluice grew by {(peak - baseline) / 1048576.0:0.0} MiB holding a stalled response");

        // Reading again, everything arrives: the head and exactly 100 MB of body.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int read;
        while ((read = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received += read;
            if (received >= Total + 100 && backend.BytesWritten == Total)
            {
                break;
            }
        }

        Assert.Equal(Total, backend.BytesWritten);
        Assert.InRange(received - Total, 60, 400);
    }

    private static long Rss(int pid)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
