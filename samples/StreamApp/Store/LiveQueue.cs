using System.Threading.Channels;

namespace StreamApp.Store;

/// <summary>
/// The buffer between a store's dispatcher and one subscriber. Bounded, and the dispatcher never waits on it: a full
/// queue means a stalled client, which is disconnected (and resumes from the log) rather than slowing every other
/// subscriber of the channel.
/// </summary>
internal sealed class LiveQueue : IEventSubscription
{
    public const int Capacity = 1024;

    private readonly Channel<StoredEvent> _channel = Channel.CreateBounded<StoredEvent>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Action<LiveQueue> _onDispose;
    private int _disposed;

    public LiveQueue(Action<LiveQueue> onDispose) => _onDispose = onDispose;

    public ChannelReader<StoredEvent> Events => _channel.Reader;

    /// <summary>Hands an event to the subscriber without waiting; false (and the queue completed) when it is full.</summary>
    public bool Offer(StoredEvent storedEvent)
    {
        if (_channel.Writer.TryWrite(storedEvent))
        {
            return true;
        }

        _channel.Writer.TryComplete(new SubscriberOverflowException());
        return false;
    }

    /// <summary>Ends the subscription from the store's side (the store is shutting down).</summary>
    public void Complete() => _channel.Writer.TryComplete();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _channel.Writer.TryComplete();
            _onDispose(this);
        }
    }
}
