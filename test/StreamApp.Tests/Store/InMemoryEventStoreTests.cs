using StreamApp.Store;
using StreamApp.Tests.Infrastructure;

namespace StreamApp.Tests.Store;

/// <summary>The embedded store issues ids exactly as Redis does, whatever the clock does.</summary>
public sealed class InMemoryEventStoreTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Ids_are_milliseconds_then_a_sequence_and_never_go_backwards()
    {
        var clock = new ManualTimeProvider(T0);
        await using var store = new InMemoryEventStore(100, clock);
        var ms = (ulong)T0.ToUnixTimeMilliseconds();

        var first = await store.AppendAsync("c", "message", "1", "x", default);
        var sameMillisecond = await store.AppendAsync("c", "message", "2", "x", default);
        clock.Advance(TimeSpan.FromMilliseconds(5));
        var later = await store.AppendAsync("c", "message", "3", "x", default);
        clock.Advance(TimeSpan.FromSeconds(-10)); // the clock steps back
        var afterStepBack = await store.AppendAsync("c", "message", "4", "x", default);

        Assert.Equal(new StreamId(ms, 0), first.Id);
        Assert.Equal(new StreamId(ms, 1), sameMillisecond.Id);
        Assert.Equal(new StreamId(ms + 5, 0), later.Id);
        Assert.Equal(new StreamId(ms + 5, 1), afterStepBack.Id);
        Assert.Equal(afterStepBack.Id, await store.LastIdAsync("c", default));
    }

    [Fact]
    public async Task Range_after_an_id_pages_through_the_log_and_trimming_keeps_the_newest()
    {
        var clock = new ManualTimeProvider(T0);
        await using var store = new InMemoryEventStore(50, clock);
        var ids = new List<StreamId>();
        for (var i = 0; i < 200; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(1));
            ids.Add((await store.AppendAsync("c", "message", i.ToString(System.Globalization.CultureInfo.InvariantCulture), "x", default)).Id);
        }

        var all = await store.RangeAfterAsync("c", StreamId.Zero, 1000, default);
        Assert.InRange(all.Count, 50, 50 + 16);
        Assert.Equal(ids[^all.Count..], all.Select(e => e.Id));

        var page = await store.RangeAfterAsync("c", ids[180], 5, default);
        Assert.Equal(ids[181..186], page.Select(e => e.Id));
        Assert.Empty(await store.RangeAfterAsync("c", ids[^1], 5, default));
        Assert.Empty(await store.RangeAfterAsync("unknown", StreamId.Zero, 5, default));
    }

    [Fact]
    public async Task Subscribers_receive_appends_in_order_until_they_unsubscribe()
    {
        await using var store = new InMemoryEventStore(100, TimeProvider.System);
        var subscription = await store.SubscribeAsync("c", default);
        var a = await store.AppendAsync("c", "message", "1", "x", default);
        var b = await store.AppendAsync("c", "message", "2", "x", default);
        await store.AppendAsync("other", "message", "3", "x", default);

        Assert.True(subscription.Events.TryRead(out var first));
        Assert.True(subscription.Events.TryRead(out var second));
        Assert.Equal([a.Id, b.Id], new[] { first!.Id, second!.Id });
        Assert.False(subscription.Events.TryRead(out _));

        subscription.Dispose();
        await store.AppendAsync("c", "message", "4", "x", default);
        Assert.False(subscription.Events.TryRead(out _));
    }
}
