using System.Runtime.CompilerServices;
using StreamApp.Store;

namespace StreamApp.Streaming;

/// <summary>
/// What one SSE client receives: the events after its Last-Event-ID that it missed, then live ones — each once,
/// in order, with no gap at the seam. The seam is the hard part: events keep arriving while the missed ones are
/// read. So the order is (1) subscribe, buffering live events; (2) replay from the log after the client's id;
/// (3) go live, dropping every buffered event whose id is not above the last one sent. An event appended before
/// (1) is in the log replay reads; one appended after (1) is in the buffer; one in both is sent once.
/// </summary>
public sealed class EventFeed
{
    private readonly IEventStore _store;

    public EventFeed(IEventStore store) => _store = store;

    /// <summary>Subscribes and fixes the starting point; the caller has not written anything yet, so failures can still become a 503.</summary>
    /// <param name="channel">The channel to follow.</param>
    /// <param name="resumeAfter">The client's Last-Event-ID; null for "live events from now on".</param>
    /// <param name="cancellationToken">Cancels subscribing.</param>
    /// <exception cref="EventStoreUnavailableException">The store did not answer.</exception>
    public async Task<FeedSession> OpenAsync(string channel, StreamId? resumeAfter, CancellationToken cancellationToken)
    {
        var subscription = await _store.SubscribeAsync(channel, cancellationToken);
        try
        {
            var last = await _store.LastIdAsync(channel, cancellationToken);

            // An id above anything this channel issued (from another deployment, or a Redis that lost its data) cannot
            // be resumed from: start from now, instead of silently dropping live events until ids catch up with it.
            var cursor = resumeAfter is { } after && after <= last ? after : last;
            return new FeedSession(_store, channel, subscription, cursor);
        }
        catch
        {
            subscription.Dispose();
            throw;
        }
    }
}

/// <summary>One client's position in a channel.</summary>
public sealed class FeedSession : IDisposable
{
    /// <summary>Replay reads the log in pages, so a client far behind does not load the whole log at once.</summary>
    public const int ReplayPageSize = 500;

    private readonly IEventStore _store;
    private readonly IEventSubscription _subscription;
    private StreamId _cursor;

    internal FeedSession(IEventStore store, string channel, IEventSubscription subscription, StreamId cursor)
    {
        _store = store;
        Channel = channel;
        _subscription = subscription;
        _cursor = cursor;
    }

    public string Channel { get; }

    /// <summary>The id of the last event handed out (or the starting point).</summary>
    public StreamId Cursor => _cursor;

    /// <summary>Missed events, then live ones; ends when the store ends the subscription.</summary>
    /// <exception cref="EventStoreUnavailableException">Replay could not read the log.</exception>
    /// <exception cref="SubscriberOverflowException">The client fell too far behind the live events.</exception>
    public async IAsyncEnumerable<StoredEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var page = await _store.RangeAfterAsync(Channel, _cursor, ReplayPageSize, cancellationToken);
            foreach (var missed in page)
            {
                _cursor = missed.Id;
                yield return missed;
            }

            if (page.Count < ReplayPageSize)
            {
                break;
            }
        }

        var live = _subscription.Events;
        while (await live.WaitToReadAsync(cancellationToken))
        {
            while (live.TryRead(out var next))
            {
                if (next.Id > _cursor)
                {
                    _cursor = next.Id;
                    yield return next;
                }
            }
        }
    }

    public void Dispose() => _subscription.Dispose();
}
