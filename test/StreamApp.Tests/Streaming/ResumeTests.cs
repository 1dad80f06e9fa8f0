using StreamApp.Tests.Infrastructure;

namespace StreamApp.Tests.Streaming;

/// <summary>
/// Last-Event-ID resumption: a client that reconnects — through the balancer, so possibly to another instance —
/// receives exactly the events it missed, in order, then live ones: no duplicate, no gap, even while events keep
/// being published during the reconnect.
/// </summary>
[Collection(SharedRedisGroup.Name)]
public sealed class ResumeTests(SharedRedis redis)
{
    [Fact]
    public async Task Reconnecting_to_another_instance_with_Last_Event_ID_gets_exactly_the_missed_events_then_live_ones()
    {
        await using var a = await AppInstance.StartAsync("app-a", redis.Url);
        await using var b = await AppInstance.StartAsync("app-b", redis.Url);
        var channel = TestChannel.New("resume");

        string lastSeen;
        var seen = new List<string>();
        await using (var first = await a.StreamAsync($"?channel={channel}"))
        {
            for (var i = 0; i < 3; i++)
            {
                seen.Add(await a.PublishAsync(channel, new { n = i }));
            }

            var received = await first.EventsAsync(3);
            Assert.Equal(seen, received.Select(e => e.Id));
            lastSeen = first.LastEventId!;
        }

        var missed = new List<string>();
        for (var i = 3; i < 8; i++)
        {
            missed.Add(await (i % 2 == 0 ? a : b).PublishAsync(channel, new { n = i }));
        }

        await using var resumed = await b.StreamAsync($"?channel={channel}", lastEventId: lastSeen);
        var replayed = await resumed.EventsAsync(missed.Count);
        Assert.Equal(missed, replayed.Select(e => e.Id));
        Assert.Equal([3, 4, 5, 6, 7], replayed.Select(e => e.ParseData().GetProperty("data").GetProperty("n").GetInt32()));

        var live = await a.PublishAsync(channel, new { n = 8 });
        Assert.Equal(live, (await resumed.NextEventAsync()).Id);
        await resumed.ExpectNoEventAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task The_lastEventId_query_parameter_works_like_the_header()
    {
        await using var a = await AppInstance.StartAsync("app-a", redis.Url);
        var channel = TestChannel.New("query");
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await a.PublishAsync(channel, new { n = i }));
        }

        await using var client = await a.StreamAsync($"?channel={channel}&lastEventId={ids[1]}");
        Assert.Equal(ids[2..], (await client.EventsAsync(2)).Select(e => e.Id));
        await client.ExpectNoEventAsync(TimeSpan.FromMilliseconds(300));

        await using var fromStart = await a.StreamAsync($"?channel={channel}", lastEventId: "0");
        Assert.Equal(ids, (await fromStart.EventsAsync(4)).Select(e => e.Id));
    }

    [Fact]
    public Task Resuming_while_events_are_published_has_no_gap_and_no_duplicate_with_Redis() =>
        ResumeUnderLoad.RunAsync(redis.Url, reconnectToOther: true);
}

/// <summary>The seam between replay and live delivery, exercised while a publisher runs flat out.</summary>
internal static class ResumeUnderLoad
{
    public static async Task RunAsync(string? redisUrl, bool reconnectToOther)
    {
        await using var publisherSide = await AppInstance.StartAsync("pub", redisUrl);
        await using var other = reconnectToOther ? await AppInstance.StartAsync("sub", redisUrl) : null;
        var subscriberSide = other ?? publisherSide;
        var channel = TestChannel.New("load");

        var published = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            published.Add(await publisherSide.PublishAsync(channel, new { n = i }));
        }

        var resumeAfter = published[9];
        var gate = new Lock();
        var publisher = Task.Run(async () =>
        {
            for (var i = 20; i < 220; i++)
            {
                var id = await publisherSide.PublishAsync(channel, new { n = i });
                lock (gate)
                {
                    published.Add(id);
                }
            }
        });

        // Reconnect in the middle of the burst, so events land before, during and after the replay.
        await Poll.UntilAsync(() => { lock (gate) { return Task.FromResult(published.Count >= 60 || publisher.IsCompleted); } }, TimeSpan.FromSeconds(20), "the burst to get going");
        await using var client = await subscriberSide.StreamAsync($"?channel={channel}", lastEventId: resumeAfter);
        await publisher;

        var expected = published.Skip(10).ToList();
        var received = await client.EventsAsync(expected.Count, TimeSpan.FromSeconds(10));
        Assert.Equal(expected, received.Select(e => e.Id));
        Assert.Equal(Enumerable.Range(10, 210), received.Select(e => e.ParseData().GetProperty("data").GetProperty("n").GetInt32()));
        await client.ExpectNoEventAsync(TimeSpan.FromMilliseconds(300));
    }
}
