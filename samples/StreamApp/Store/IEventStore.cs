using System.Threading.Channels;

namespace StreamApp.Store;

/// <summary>
/// An append-only log per channel with live subscriptions. Implemented over Redis Streams (shared by every
/// instance) and in process (one instance, no external service). The streaming endpoint composes
/// "subscribe, then replay after the client's id, then go live" from these primitives, so both stores get
/// exactly-once, in-order delivery from the same code (<see cref="Streaming.EventFeed"/>).
/// </summary>
public interface IEventStore : IAsyncDisposable
{
    /// <summary><c>redis</c> or <c>embedded</c>, as reported by /health/detailed.</summary>
    string Kind { get; }

    /// <summary>Connects (Redis) before the application starts serving.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Appends an event and wakes every subscriber of the channel, on every instance sharing the store.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="type">The SSE event name.</param>
    /// <param name="data">Compact JSON.</param>
    /// <param name="origin">The instance that accepted the publish (one store may serve several instances).</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <exception cref="EventStoreUnavailableException">The backing service did not answer.</exception>
    Task<StoredEvent> AppendAsync(string channel, string type, string data, string origin, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="count"/> events with an id greater than <paramref name="after"/>, oldest first.</summary>
    /// <exception cref="EventStoreUnavailableException">The backing service did not answer.</exception>
    Task<IReadOnlyList<StoredEvent>> RangeAfterAsync(string channel, StreamId after, int count, CancellationToken cancellationToken);

    /// <summary>The newest id in the channel, or <see cref="StreamId.Zero"/> when it is empty.</summary>
    /// <exception cref="EventStoreUnavailableException">The backing service did not answer.</exception>
    Task<StreamId> LastIdAsync(string channel, CancellationToken cancellationToken);

    /// <summary>
    /// Starts receiving events appended from now on. Every event appended after this returns is delivered, in id
    /// order; some appended just before may be delivered too (the caller drops what it already replayed).
    /// </summary>
    /// <exception cref="EventStoreUnavailableException">The backing service did not answer.</exception>
    Task<IEventSubscription> SubscribeAsync(string channel, CancellationToken cancellationToken);
}

/// <summary>A live subscription; dispose to stop receiving.</summary>
public interface IEventSubscription : IDisposable
{
    /// <summary>
    /// Live events in id order. Completes with <see cref="SubscriberOverflowException"/> when the reader falls so far
    /// behind that its buffer fills: the client reconnects with Last-Event-ID and resumes from the log instead of
    /// the instance buffering without bound.
    /// </summary>
    ChannelReader<StoredEvent> Events { get; }
}

/// <summary>The backing store (Redis) did not answer; the request can be retried, typically on another instance.</summary>
public sealed class EventStoreUnavailableException : Exception
{
    public EventStoreUnavailableException()
    {
    }

    public EventStoreUnavailableException(string message)
        : base(message)
    {
    }

    public EventStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A subscriber did not keep up with the channel and was cut off.</summary>
public sealed class SubscriberOverflowException : Exception
{
    public SubscriberOverflowException()
        : base("the subscriber fell behind the channel and was disconnected")
    {
    }

    public SubscriberOverflowException(string message)
        : base(message)
    {
    }

    public SubscriberOverflowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
