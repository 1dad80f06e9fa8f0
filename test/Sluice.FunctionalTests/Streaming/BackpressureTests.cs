using System.Globalization;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Streaming;

/// <summary>
/// A client that stops reading does not make Sluice hold the response in memory. With proxy_buffering off the
/// backend is held back (its writes wait) while the client sits for 30 s; with it on, the response goes to an
/// unlinked temp file under proxy_temp_path, so the backend finishes; either way Sluice's memory stays flat, and
/// once the client reads again every byte arrives.
/// </summary>
public sealed class BackpressureTests
{
    private const long Total = 100L * 1024 * 1024;
    private readonly ITestOutputHelper _output;

    public BackpressureTests(ITestOutputHelper output) => _output = output;

    private static Func<int, string> Config(string backend) => port => $$"""
        events {}
        http {
            access_log off;
            upstream backend { server {{backend}}; keepalive 4; }
            server {
                listen 127.0.0.1:{{port}};
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                location /unbuffered/ { proxy_pass http://backend/; proxy_buffering off; }
                location /buffered/ { proxy_pass http://backend/; proxy_temp_path spool 1 2; }
            }
        }
        """;

    [Fact]
    public async Task Without_buffering_a_client_that_stops_reading_holds_back_the_upstream_not_memory()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var sluice = await SluiceInstance.StartAsync(Config(backend.Address));
        using var client = await StalledClientAsync(sluice, "/unbuffered/");

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

        await ReadTheRestAsync(client, backend);
    }

    [Fact]
    public async Task With_buffering_a_client_that_stops_reading_gets_its_response_from_a_temp_file()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var sluice = await SluiceInstance.StartAsync(Config(backend.Address));
        using var client = await StalledClientAsync(sluice, "/buffered/");

        var baseline = Rss(sluice.Process.Pid);
        long peak = baseline;
        await Eventually.TrueAsync(
            () =>
            {
                peak = Math.Max(peak, Rss(sluice.Process.Pid));
                return backend.BytesWritten == Total;
            },
            "the backend writes the whole response while the client does not read",
            TimeSpan.FromSeconds(60));

        // The response is in a temp file under proxy_temp_path's levels, unlinked: only Sluice's descriptor holds it.
        var spool = Path.Combine(sluice.Prefix, "spool");
        var held = Directory.GetFiles($"/proc/{sluice.Process.Pid}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget ?? "")
            .Where(target => target.StartsWith(spool + "/", StringComparison.Ordinal))
            .ToList();
        _output.WriteLine($"while stalled: sluice RSS {baseline / 1048576.0:0.0} -> peak {peak / 1048576.0:0.0} MiB; temp files {string.Join(", ", held)}");
        var file = Assert.Single(held);
        Assert.Matches(@"/spool/\d/\d\d/\d{10} \(deleted\)$", file);
        Assert.True(peak - baseline < 32L * 1024 * 1024, $"Sluice grew by {(peak - baseline) / 1048576.0:0.0} MiB holding a stalled response");

        await ReadTheRestAsync(client, backend);
    }

    /// <summary>A client with a small receive buffer that asks for 100 MB and reads only the first 64 KiB.</summary>
    private static async Task<RawHttpClient> StalledClientAsync(SluiceInstance sluice, string location)
    {
        var client = await RawHttpClient.ConnectAsync(sluice.Port);
        await client.SendAsync($"GET {location}bytes/{Total} HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadHeadAsync())!.Status);
        await client.ReadBodyAsync(64 * 1024);
        return client;
    }

    /// <summary>Reading again, everything arrives: exactly 100 MB of body.</summary>
    private static async Task ReadTheRestAsync(RawHttpClient client, TestBackend backend)
    {
        var (rest, reset) = await client.ReadBodyAsync(Total - (64 * 1024));
        Assert.False(reset);
        Assert.Equal(Total - (64 * 1024), rest);
        Assert.Equal(Total, backend.BytesWritten);
    }

    private static long Rss(int pid)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
