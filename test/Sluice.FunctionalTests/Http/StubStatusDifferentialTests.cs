using System.Net.Sockets;
using System.Text;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Http;

/// <summary>
/// stub_status against nginx for one scripted sequence of connections: idle ones (Waiting), one with half a
/// request header (Reading), one waiting on a slow upstream (Writing) — every counter must be equal.
/// </summary>
public sealed class StubStatusDifferentialTests : IClassFixture<StubStatusDifferentialTests.Fixture>
{
    public sealed class Fixture : DifferentialFixture
    {
        protected override int Backends => 1;

        protected override string Config => """
            events {}
            http {
                access_log off;
                server {
                    listen {{LISTEN}};
                    location = /nginx-status { stub_status; }
                    location /slow/ { proxy_pass http://{{B1}}; }
                }
            }
            """;
    }

    private readonly DifferentialRig _rig;
    private readonly ITestOutputHelper _output;

    public StubStatusDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _rig = fixture.Rig;
        _output = output;
    }

    [Fact]
    public async Task Counters_follow_the_same_sequence_as_nginx()
    {
        var nginx = await RunSequenceAsync(_rig.NginxPort);
        var sluice = await RunSequenceAsync(_rig.SluicePort);
        _output.WriteLine("nginx:\n" + string.Join("\n---\n", nginx));
        _output.WriteLine("sluice:\n" + string.Join("\n---\n", sluice));
        Assert.Equal(nginx, sluice);
    }

    private static async Task<List<string>> RunSequenceAsync(int port)
    {
        var snapshots = new List<string>();
        using var a = await ConnectAsync(port);
        snapshots.Add(await StatusAsync(a));
        snapshots.Add(await StatusAsync(a));

        using var idle1 = await ConnectAsync(port);
        using var idle2 = await ConnectAsync(port);
        using var partial = await ConnectAsync(port);
        await partial.GetStream().WriteAsync("GET /nginx-status HTTP/1.1\r\nHost:"u8.ToArray());
        await Task.Delay(300);
        snapshots.Add(await StatusAsync(a));

        using var slow = await ConnectAsync(port);
        await slow.GetStream().WriteAsync("GET /slow/1500 HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        await Task.Delay(300);
        snapshots.Add(await StatusAsync(a));

        idle1.Close();
        partial.Close();
        await ReadResponseAsync(slow.GetStream());
        await Task.Delay(300);
        snapshots.Add(await StatusAsync(a));
        return snapshots;
    }

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        return client;
    }

    private static async Task<string> StatusAsync(TcpClient client)
    {
        var stream = client.GetStream();
        await stream.WriteAsync("GET /nginx-status HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var response = await ReadResponseAsync(stream);
        return response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
    }

    /// <summary>Reads one response with a Content-Length (stub_status always has one) or a chunked body.</summary>
    private static async Task<string> ReadResponseAsync(NetworkStream stream)
    {
        var buffer = new byte[16384];
        var text = new StringBuilder();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var all = text.ToString();
            var end = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var head = all[..end];
                var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                if (lengthLine is not null && all.Length - end - 4 >= int.Parse(lengthLine[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
                {
                    return all;
                }

                if (head.Contains("chunked", StringComparison.OrdinalIgnoreCase) && all.EndsWith("0\r\n\r\n", StringComparison.Ordinal))
                {
                    return all;
                }
            }

            var n = await stream.ReadAsync(buffer, cts.Token);
            if (n == 0)
            {
                return text.ToString();
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
    }
}
