using StreamApp.Store;
using StreamApp.Streaming;

namespace StreamApp.Tests.Streaming;

/// <summary>
/// The replay/live seam, made deterministic: a store whose replay reads are preceded by an append (an event that
/// lands after the subscription but before the replay reaches it, so it is both in the log and in the live buffer).
/// </summary>
public sealed class EventFeedTests
{
    [Fact]
    public async Task An_event_both_replayed_and_received_live_is_delivered_once()
    {
        await using var inner = new InMemoryEventStore(1000, TimeProvider.System);
        var before = new List<StreamId>();
        for (var i = 0; i < 5; i++)
        {
            before.Add((await inner.AppendAsync("c", "message", "0", "x", default)).Id);
        }

        var store = new AppendBeforeEachReplayRead(inner, times: 1);
        var feed = new EventFeed(store);
        using var session = await feed.OpenAsync("c", before[1], default);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var received = new List<StreamId>();
        await using var events = session.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        while (received.Count < 4 && await events.MoveNextAsync())
        {
            received.Add(events.Current.Id);
        }

        var racing = Assert.Single(store.Appended);
        Assert.Equal([.. before[2..], racing], received);

        // Live events after the seam still flow, once each.
        var live = await inner.AppendAsync("c", "message", "live", "x", default);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(live.Id, events.Current.Id);
    }

    [Fact]
    public async Task An_id_the_channel_never_issued_starts_from_now_instead_of_swallowing_live_events()
    {
        await using var store = new InMemoryEventStore(1000, TimeProvider.System);
        await store.AppendAsync("c", "message", "old", "x", default);
        var feed = new EventFeed(store);
        using var session = await feed.OpenAsync("c", new StreamId(ulong.MaxValue - 1, 0), default);
        var live = await store.AppendAsync("c", "message", "new", "x", default);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await using var events = session.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(live.Id, events.Current.Id);
    }

    /// <summary>A real store with a hook: the first replay read appends one event first.</summary>
    private sealed class AppendBeforeEachReplayRead(InMemoryEventStore inner, int times) : IEventStore
    {
        private int _left = times;

        public List<StreamId> Appended { get; } = [];

        public string Kind => inner.Kind;

        public Task StartAsync(CancellationToken cancellationToken) => inner.StartAsync(cancellationToken);

        public Task<StoredEvent> AppendAsync(string channel, string type, string data, string origin, CancellationToken cancellationToken) =>
            inner.AppendAsync(channel, type, data, origin, cancellationToken);

        public async Task<IReadOnlyList<StoredEvent>> RangeAfterAsync(string channel, StreamId after, int count, CancellationToken cancellationToken)
        {
            if (_left-- > 0)
            {
                Appended.Add((await inner.AppendAsync(channel, "message", "racing", "x", cancellationToken)).Id);
            }

            return await inner.RangeAfterAsync(channel, after, count, cancellationToken);
        }

        public Task<StreamId> LastIdAsync(string channel, CancellationToken cancellationToken) => inner.LastIdAsync(channel, cancellationToken);

        public Task<IEventSubscription> SubscribeAsync(string channel, CancellationToken cancellationToken) => inner.SubscribeAsync(channel, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
