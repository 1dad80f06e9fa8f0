using StreamApp.Tests.Infrastructure;

namespace StreamApp.Tests.Streaming;

/// <summary>With Redis, instances are interchangeable: an event published through any reaches streams on all.</summary>
[Collection(SharedRedisGroup.Name)]
public sealed class FanoutTests(SharedRedis redis)
{
    [Fact]
    public async Task An_event_published_on_one_instance_reaches_streams_on_every_instance()
    {
        await using var a = await AppInstance.StartAsync("app-a", redis.Url);
        await using var b = await AppInstance.StartAsync("app-b", redis.Url);
        var channel = TestChannel.New("fanout");
        await using var onA = await a.StreamAsync($"?channel={channel}");
        await using var onB = await b.StreamAsync($"?channel={channel}");

        var fromA = await a.PublishAsync(channel, new { text = "hello from a" });
        var fromB = await b.PublishAsync(channel, new { text = "hello from b" });

        foreach (var (client, servedBy) in new[] { (onA, "app-a"), (onB, "app-b") })
        {
            var events = await client.EventsAsync(2);
            Assert.Equal([fromA, fromB], events.Select(e => e.Id));
            Assert.All(events, e => Assert.Equal("message", e.Type));
            Assert.Equal("hello from a", events[0].ParseData().GetProperty("data").GetProperty("text").GetString());
            Assert.Equal("app-a", events[0].ParseData().GetProperty("origin").GetString());
            Assert.Equal("app-b", events[1].ParseData().GetProperty("origin").GetString());
            Assert.All(events, e => Assert.Equal(servedBy, e.ParseData().GetProperty("instance").GetString()));
            Assert.All(events, e => Assert.Equal(e.Id, e.ParseData().GetProperty("id").GetString()));
        }

        // Nothing twice.
        await onA.ExpectNoEventAsync(TimeSpan.FromMilliseconds(300));
        await onB.ExpectNoEventAsync(TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task Channels_are_separate()
    {
        await using var a = await AppInstance.StartAsync("app-a", redis.Url);
        var news = TestChannel.New("news");
        var sport = TestChannel.New("sport");
        await using var onNews = await a.StreamAsync($"?channel={news}");
        await a.PublishAsync(sport, new { n = 1 });
        var id = await a.PublishAsync(news, new { n = 2 }, type: "headline");

        var frame = await onNews.NextEventAsync();
        Assert.Equal(id, frame.Id);
        Assert.Equal("headline", frame.Type);
        await onNews.ExpectNoEventAsync(TimeSpan.FromMilliseconds(300));
    }
}
