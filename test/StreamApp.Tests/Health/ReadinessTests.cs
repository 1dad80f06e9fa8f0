using System.Diagnostics;
using System.Net;
using StreamApp.Tests.Infrastructure;

namespace StreamApp.Tests.Health;

/// <summary>
/// /health/ready is what the balancer acts on (guide 1.2, 5.2, 10.4): it must follow Redis down and back up, each
/// within one check interval, while /health/live and /health/detailed keep answering 200 — and open SSE streams
/// must survive the outage and carry events again once the client has reconnected.
/// </summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Ready_follows_Redis_down_and_back_up_and_open_streams_resume_delivery()
    {
        await using var redis = await RedisServer.StartAsync();
        // Check interval 500 ms. Polling slower than any deadline here: after the outage, live delivery must come
        // through the pub/sub doorbell, which the client has to have resubscribed.
        await using var app = await AppInstance.StartAsync("ready-1", redis.Url, o => o with { StreamPollInterval = TimeSpan.FromMinutes(1) });

        var (status, ready) = await app.GetJsonAsync("health/ready");
        using (ready)
        {
            Assert.Equal(200, status);
            Assert.Equal("ready", ready.RootElement.GetProperty("status").GetString());
            Assert.Equal("healthy", ready.RootElement.GetProperty("components").GetProperty("redis").GetString());
            Assert.Equal("ready-1", ready.RootElement.GetProperty("instance").GetString());
        }

        var channel = TestChannel.New("ready");
        await using var stream = await app.StreamAsync($"?channel={channel}&heartbeat=0.2");
        var first = await app.PublishAsync(channel, new { n = 1 });
        Assert.Equal(first, (await stream.NextEventAsync()).Id);

        // Redis goes away: 503 within one interval (plus scheduling slack; a killed Redis closes the socket, so the
        // PING fails at once rather than after its timeout).
        await redis.StopAsync();
        var down = Stopwatch.StartNew();
        await Poll.UntilAsync(async () => await StatusOfAsync(app, "health/ready") == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10), "/health/ready to turn 503");
        var noticed = down.Elapsed;
        Assert.True(noticed < AppInstance.HealthCheckInterval + TimeSpan.FromSeconds(2), $"503 only after {noticed.TotalMilliseconds:0} ms");

        (status, ready) = await app.GetJsonAsync("health/ready");
        using (ready)
        {
            Assert.Equal(503, status);
            Assert.Equal("not_ready", ready.RootElement.GetProperty("status").GetString());
            Assert.Contains("redis", ready.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal("unhealthy", ready.RootElement.GetProperty("components").GetProperty("redis").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(app, "health/live"));
        var (detailedStatus, detailed) = await app.GetJsonAsync("health/detailed");
        using (detailed)
        {
            Assert.Equal(200, detailedStatus);
            var redisComponent = detailed.RootElement.GetProperty("components").GetProperty("redis");
            Assert.Equal("unhealthy", redisComponent.GetProperty("status").GetString());
            Assert.False(string.IsNullOrWhiteSpace(redisComponent.GetProperty("error").GetString()));
            Assert.Equal(1, detailed.RootElement.GetProperty("streams").GetProperty("open").GetInt32());
        }

        using (var content = Json.Of(new { channel, data = new { n = "lost" } }))
        using (var publish = await app.Client.PostAsync("api/publish", content))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, publish.StatusCode);
        }

        // The stream stays open through the outage: heartbeats keep coming.
        Assert.True((await stream.NextAsync(TimeSpan.FromSeconds(5))).IsComment);

        // Redis comes back on the same port (empty): the multiplexer reconnects and readiness returns.
        await redis.RestartAsync();
        await Poll.UntilAsync(async () => await StatusOfAsync(app, "health/ready") == HttpStatusCode.OK, TimeSpan.FromSeconds(20), "/health/ready to turn 200 again");

        var second = await app.PublishAsync(channel, new { n = 2 });
        Assert.Equal(second, (await stream.NextEventAsync(TimeSpan.FromSeconds(5))).Id);
    }

    [Fact]
    public async Task An_instance_started_before_Redis_becomes_ready_and_delivers_once_Redis_is_up()
    {
        await using var redis = RedisServer.NotStarted();
        var starting = Stopwatch.StartNew();
        // Polling slower than the test's deadline: delivery below must come through the pub/sub doorbell, which
        // could not be subscribed at start and has to be subscribed when the connection comes up.
        await using var app = await AppInstance.StartAsync("early", redis.Url, o => o with { StreamPollInterval = TimeSpan.FromMinutes(1) });
        Assert.True(starting.Elapsed < TimeSpan.FromSeconds(5), $"start took {starting.Elapsed.TotalSeconds:0.0} s without Redis");

        var (status, ready) = await app.GetJsonAsync("health/ready");
        ready.Dispose();
        Assert.Equal(503, status);
        using (var response = await app.Client.GetAsync("stream", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode); // no store: no stream, and the balancer can retry elsewhere
        }

        await redis.RestartAsync();
        await Poll.UntilAsync(async () => await StatusOfAsync(app, "health/ready") == HttpStatusCode.OK, TimeSpan.FromSeconds(20), "/health/ready to turn 200");

        var channel = TestChannel.New("early");
        await using var stream = await app.StreamAsync($"?channel={channel}");
        var id = await app.PublishAsync(channel, new { n = 1 });
        Assert.Equal(id, (await stream.NextEventAsync(TimeSpan.FromSeconds(5))).Id);
    }

    private static async Task<HttpStatusCode> StatusOfAsync(AppInstance app, string path)
    {
        using var response = await app.Client.GetAsync(path);
        return response.StatusCode;
    }
}
