using StreamApp.Store;
using StreamApp.Tests.Infrastructure;

namespace StreamApp.Tests.Streaming;

/// <summary>Without REDIS_URL one instance works on its own: the embedded store, same behaviour, and says so.</summary>
public sealed class EmbeddedStoreTests
{
    [Fact]
    public async Task Publish_stream_and_resume_work_without_Redis()
    {
        await using var app = await AppInstance.StartAsync("solo", redisUrl: null);
        var channel = TestChannel.New("solo");

        string lastSeen;
        await using (var first = await app.StreamAsync($"?channel={channel}"))
        {
            var id = await app.PublishAsync(channel, new { n = 0 });
            var frame = await first.NextEventAsync();
            Assert.Equal(id, frame.Id);
            Assert.Equal("solo", frame.ParseData().GetProperty("instance").GetString());
            lastSeen = first.LastEventId!;
        }

        var missed = new List<string>();
        for (var i = 1; i <= 4; i++)
        {
            missed.Add(await app.PublishAsync(channel, new { n = i }));
        }

        await using var resumed = await app.StreamAsync($"?channel={channel}", lastEventId: lastSeen);
        Assert.Equal(missed, (await resumed.EventsAsync(4)).Select(e => e.Id));
        var live = await app.PublishAsync(channel, new { n = 5 });
        Assert.Equal(live, (await resumed.NextEventAsync()).Id);
        await resumed.ExpectNoEventAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Instances_hosted_in_one_process_can_share_one_embedded_store()
    {
        await using var shared = new InMemoryEventStore(1000, TimeProvider.System);
        var b = await AppInstance.StartAsync("app-b", redisUrl: null, o => o with { EventStore = shared });
        try
        {
            var channel = TestChannel.New("shared");
            await using var onB = await b.StreamAsync($"?channel={channel}");
            string fromA;
            await using (var a = await AppInstance.StartAsync("app-a", redisUrl: null, o => o with { EventStore = shared }))
            {
                await using var onA = await a.StreamAsync($"?channel={channel}");
                fromA = await a.PublishAsync(channel, new { n = 1 });
                var frame = await onA.NextEventAsync();
                Assert.Equal(fromA, frame.Id);
                Assert.Equal("app-a", frame.ParseData().GetProperty("origin").GetString());
            }

            // Stopping app-a left the store (owned by the host) and app-b's stream alone.
            var received = await onB.NextEventAsync();
            Assert.Equal(fromA, received.Id);
            Assert.Equal("app-b", received.ParseData().GetProperty("instance").GetString());
            var fromB = await b.PublishAsync(channel, new { n = 2 });
            Assert.Equal(fromB, (await onB.NextEventAsync()).Id);
            var (_, detailed) = await b.GetJsonAsync("health/detailed");
            using (detailed)
            {
                Assert.Equal("embedded", detailed.RootElement.GetProperty("store").GetString());
            }
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    [Fact]
    public Task Resuming_while_events_are_published_has_no_gap_and_no_duplicate_embedded() =>
        ResumeUnderLoad.RunAsync(redisUrl: null, reconnectToOther: false);

    [Fact]
    public async Task Health_says_embedded_and_ready_without_Redis()
    {
        await using var app = await AppInstance.StartAsync("solo", redisUrl: null);
        var (status, ready) = await app.GetJsonAsync("health/ready");
        using (ready)
        {
            Assert.Equal(200, status);
            Assert.Equal("ready", ready.RootElement.GetProperty("status").GetString());
            Assert.Equal("not configured", ready.RootElement.GetProperty("components").GetProperty("redis").GetString());
        }

        var (detailedStatus, detailed) = await app.GetJsonAsync("health/detailed");
        using (detailed)
        {
            Assert.Equal(200, detailedStatus);
            Assert.Equal("embedded", detailed.RootElement.GetProperty("store").GetString());
            Assert.Equal("healthy", detailed.RootElement.GetProperty("status").GetString());
            Assert.True(detailed.RootElement.GetProperty("uptime_seconds").GetDouble() >= 0);
        }

        var (rootStatus, root) = await app.GetJsonAsync("");
        using (root)
        {
            Assert.Equal(200, rootStatus);
            Assert.Equal("embedded", root.RootElement.GetProperty("store").GetString());
            Assert.Equal("solo", root.RootElement.GetProperty("instance").GetString());
        }
    }
}
