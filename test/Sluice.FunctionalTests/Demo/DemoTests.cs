using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;
using RedisServer = StreamApp.Tests.Infrastructure.RedisServer;

namespace Sluice.FunctionalTests.Demo;

/// <summary>
/// <c>sluice demo</c>, the README's first command, driven as a user would: requests through Sluice reach
/// all three instances, an event published through Sluice arrives on streams held (through Sluice) by
/// different instances, after "stop app-2" a burst of requests loses nothing, and Ctrl-C (SIGINT) or "quit"
/// stops everything it started. Once with each store: the private redis-server the demo starts when one is
/// installed, the in-process store, and a Redis the test starts and names in REDIS_URL. And a demo killed
/// with SIGKILL does not leave its private redis-server behind.
/// </summary>
public sealed partial class DemoTests
{
    private readonly ITestOutputHelper _output;

    public DemoTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("private redis-server", "SIGINT")]
    [InlineData("in-process", "quit")]
    [InlineData("REDIS_URL", "quit")]
    public async Task Demo_balances_shares_events_survives_an_instance_stopping_and_stops_everything(string store, string stop)
    {
        await using var redis = store == "REDIS_URL" ? await RedisServer.StartAsync() : null;
        var port = FreePort.Next();
        string[] args = ["demo", "--port", port.ToString(CultureInfo.InvariantCulture), "--heartbeat", "1", .. store == "in-process" ? ["--no-redis"] : Array.Empty<string>()];
        await using var demo = SluiceProcess.Start(args, new Dictionary<string, string?> { ["REDIS_URL"] = redis?.Url });
        try
        {
            var banner = await WaitForBannerAsync(demo);
            Assert.Contains(
                store switch { "private redis-server" => "a private redis-server on 127.0.0.1:", "in-process" => "one in-process store", _ => $"Redis at {redis!.Url}" },
                banner.Store,
                StringComparison.Ordinal);

            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            var seen = new HashSet<string>();
            for (var i = 0; i < 30; i++)
            {
                using var response = await client.GetAsync("/");
                response.EnsureSuccessStatusCode();
                seen.Add(response.Headers.GetValues("X-Instance-Id").Single());
            }

            Assert.Equal(["app-1", "app-2", "app-3"], seen.Order());
            await PublishedEventReachesEveryInstanceAsync(client);
            if (redis is not null)
            {
                // The instances keep their events in the Redis REDIS_URL names.
                Assert.NotEqual(":0", await RedisAsync(redis.Port, "DBSIZE"));
            }

            await NoRequestIsLostWhenAnInstanceStopsAsync(demo, client);

            // Stop as a user would; everything the demo started goes with it, and only that.
            if (stop == "SIGINT")
            {
                await demo.SignalAsync("INT");
            }
            else
            {
                await demo.SendLineAsync("quit");
            }

            Assert.Equal(0, await demo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("sluice demo: stopped", demo.Stdout, StringComparison.Ordinal);
            Assert.All(banner.Ports.Append(port), p => Assert.False(Accepts(p), $"port {p} still accepts connections"));
            if (banner.RedisPid is { } pid)
            {
                Assert.False(IsRunning(pid), $"the private redis-server (pid {pid}) still runs");
            }

            if (redis is not null)
            {
                Assert.Equal("+PONG", await RedisAsync(redis.Port, "PING"));
            }
        }
        finally
        {
            _output.WriteLine(demo.Stdout);
            _output.WriteLine(demo.Stderr);
        }
    }

    [Fact]
    public async Task A_demo_killed_with_SIGKILL_takes_its_private_redis_server_with_it()
    {
        var port = FreePort.Next();
        await using var demo = SluiceProcess.Start(["demo", "--port", port.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string?> { ["REDIS_URL"] = null });
        Banner? banner = null;
        try
        {
            banner = await WaitForBannerAsync(demo);
            var pid = banner.RedisPid ?? throw new Xunit.Sdk.XunitException($"no private redis-server: {banner.Store}");
            Assert.True(IsRunning(pid));

            // No chance to clean up: the kernel closes the demo's end of the redis-server's lifeline.
            await demo.SignalAsync("KILL");
            await demo.WaitForExitAsync(TimeSpan.FromSeconds(30));
            await Eventually.TrueAsync(() => !IsRunning(pid), $"the private redis-server (pid {pid}) stops");
            Assert.False(Accepts(banner.RedisPort!.Value));
        }
        finally
        {
            // Whatever happened, leave nothing behind: the redis-server (if the test failed) and the demo's directory.
            if (banner?.RedisPid is { } pid && IsRunning(pid))
            {
                using var orphan = System.Diagnostics.Process.GetProcessById(pid);
                orphan.Kill();
            }

            if (banner?.Directory is { } directory && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            _output.WriteLine(demo.Stdout);
            _output.WriteLine(demo.Stderr);
        }
    }

    /// <summary>Three streams (least_conn puts each on another instance, since each holds its connection) all get an event published through Sluice.</summary>
    private static async Task PublishedEventReachesEveryInstanceAsync(HttpClient client)
    {
        var streams = new List<(string Instance, StreamReader Reader, HttpResponseMessage Response)>();
        for (var i = 0; i < 3; i++)
        {
            var response = await client.GetAsync("/stream", HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            streams.Add((response.Headers.GetValues("X-Instance-Id").Single(), new StreamReader(await response.Content.ReadAsStreamAsync()), response));
        }

        Assert.Equal(3, streams.Select(s => s.Instance).Distinct().Count());

        using (var publish = await client.PostAsync("/api/publish", new StringContent("""{"event":"message","data":{"demo":"hello-42"}}""", Encoding.UTF8, "application/json")))
        {
            publish.EnsureSuccessStatusCode();
        }

        foreach (var (instance, reader, _) in streams)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            string? line;
            do
            {
                line = await reader.ReadLineAsync(timeout.Token);
            }
            while (line is not null && !line.Contains("hello-42", StringComparison.Ordinal));

            Assert.True(line is not null, $"the event reached the stream on {instance}");
        }

        foreach (var (_, reader, response) in streams)
        {
            reader.Dispose();
            response.Dispose();
        }
    }

    /// <summary>"stop app-2", then a burst of requests (some on connections Sluice had to it) all succeed on the others; "start app-2" brings it back.</summary>
    private static async Task NoRequestIsLostWhenAnInstanceStopsAsync(SluiceProcess demo, HttpClient client)
    {
        await demo.SendLineAsync("stop app-2");
        await Eventually.TrueAsync(() => demo.Stdout.Contains("sluice demo: app-2 stopped", StringComparison.Ordinal), "app-2 stops");
        var failures = 0;
        var answered = new HashSet<string>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
        {
            for (var i = 0; i < 50; i++)
            {
                using var response = await client.GetAsync($"/api/lookup?key={worker}-{i}");
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failures);
                }
                else
                {
                    lock (answered)
                    {
                        answered.Add(response.Headers.GetValues("X-Instance-Id").Single());
                    }
                }
            }
        }));

        Assert.Equal(0, failures);
        Assert.Equal(["app-1", "app-3"], answered.Order());

        // Sluice's own metrics saw all of it, per instance.
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("sluice_upstream_responses_total{upstream=\"backend\"", metrics, StringComparison.Ordinal);
        Assert.Contains("sluice_upstream_peer_connections", metrics, StringComparison.Ordinal);

        await demo.SendLineAsync("start app-2");
        await Eventually.TrueAsync(() => demo.Stdout.Contains("sluice demo: app-2 started", StringComparison.Ordinal), "app-2 starts again");
    }

    /// <summary>What the demo's banner says it started.</summary>
    private sealed record Banner(string Store, IReadOnlyList<int> Ports, int? RedisPort, int? RedisPid, string? Directory);

    private static async Task<Banner> WaitForBannerAsync(SluiceProcess demo)
    {
        await Eventually.TrueAsync(() => demo.Stdout.Contains("sluice demo: ready", StringComparison.Ordinal) || demo.HasExited, "the demo is ready", TimeSpan.FromSeconds(60));
        Assert.False(demo.HasExited, demo.Stdout + demo.Stderr);
        var text = demo.Stdout;
        var store = StoreLine().Match(text);
        Assert.True(store.Success, text);
        var instances = InstanceLine().Matches(text).Select(m => int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, instances.Count);
        var redis = PrivateRedis().Match(text);
        int? Number(string group) => redis.Success ? int.Parse(redis.Groups[group].Value, CultureInfo.InvariantCulture) : null;
        var directory = DirectoryLine().Match(text);
        return new Banner(store.Groups["store"].Value, [.. instances, .. Number("port") is { } p ? [p] : Array.Empty<int>()], Number("port"), Number("pid"), directory.Success ? directory.Groups["dir"].Value : null);
    }

    /// <summary>True while a process with <paramref name="pid"/> exists and is not a zombie.</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>One inline Redis command (PING, DBSIZE) and the first line of its answer.</summary>
    private static async Task<string> RedisAsync(int port, string command)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync() ?? "";
    }

    [GeneratedRegex(@"events shared through (?<store>.+?)\.\n")]
    private static partial Regex StoreLine();

    [GeneratedRegex(@"^  app-\d+\s+http://127\.0\.0\.1:(?<port>\d+)$", RegexOptions.Multiline)]
    private static partial Regex InstanceLine();

    [GeneratedRegex(@"a private redis-server on 127\.0\.0\.1:(?<port>\d+) \(pid (?<pid>\d+)\)")]
    private static partial Regex PrivateRedis();

    [GeneratedRegex(@"configuration and logs in (?<dir>\S+)")]
    private static partial Regex DirectoryLine();
}
