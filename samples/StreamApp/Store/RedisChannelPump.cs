using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace StreamApp.Store;

/// <summary>
/// Live delivery of one channel to this instance's subscribers: reads the channel's stream forward from a cursor
/// whenever the doorbell rings (or the poll interval passes, which covers doorbells lost while Redis was away) and
/// offers each entry, in stream order, to every subscriber. One pump per channel per instance, however many SSE
/// clients are on it; it stops when the last one leaves.
/// </summary>
internal sealed partial class RedisChannelPump : IAsyncDisposable
{
    private readonly RedisEventStore _store;
    private readonly int _pageSize;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<bool> _doorbell = System.Threading.Channels.Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();

    // Copy-on-write: the pump reads it without a lock; changes happen under the store's lock.
    private LiveQueue[] _subscribers = [];
    private Task _run = Task.CompletedTask;
    private StreamId _cursor;
    private bool _failing;

    public RedisChannelPump(RedisEventStore store, string channel, int pageSize, TimeSpan pollInterval, TimeProvider time, ILogger logger)
    {
        _store = store;
        Channel = channel;
        _pageSize = pageSize;
        _pollInterval = pollInterval;
        _time = time;
        _logger = logger;
    }

    public string Channel { get; }

    /// <summary>Completes once the pump's starting cursor is known; faults if Redis could not tell it.</summary>
    public Task Ready => _ready.Task;

    public void Start() => _run = Task.Run(() => RunAsync(_stopping.Token));

    /// <summary>Called under the store's lock.</summary>
    public void Add(LiveQueue queue) => Volatile.Write(ref _subscribers, [.. _subscribers, queue]);

    /// <summary>Called under the store's lock; returns how many subscribers remain.</summary>
    public int Remove(LiveQueue queue)
    {
        var remaining = Array.FindAll(_subscribers, s => !ReferenceEquals(s, queue));
        Volatile.Write(ref _subscribers, remaining);
        return remaining.Length;
    }

    public void Ring() => _doorbell.Writer.TryWrite(true);

    /// <summary>Stops reading and ends the remaining subscriptions.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Complete();
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            _cursor = await _store.LastIdAsync(Channel, cancellationToken);
            _ready.TrySetResult();
        }
        catch (Exception e)
        {
            // The subscribers waiting on Ready get the error, unsubscribe, and so remove this pump.
            _ready.TrySetException(e);
            return;
        }

        while (true)
        {
            await WaitForDoorbellAsync(cancellationToken);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            while (_doorbell.Reader.TryRead(out _))
            {
                // A ring that arrives while draining below triggers one more pass: nothing is missed.
            }

            try
            {
                await DrainAsync(cancellationToken);
                if (_failing)
                {
                    _failing = false;
                    LogRecovered(_logger, Channel, _cursor);
                }
            }
            catch (EventStoreUnavailableException e)
            {
                // Keep the cursor and the subscribers: when Redis answers again, the next pass catches up from where
                // delivery stopped. Log the outage once, not on every poll.
                if (!_failing)
                {
                    _failing = true;
                    LogReadFailed(_logger, Channel, e.Message);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // An entry this code cannot read (written to the stream by some other program): a pump that died here
                // would silently stop live delivery for every client of the channel, so say it loudly and go on.
                LogUnexpected(_logger, Channel, e);
            }
        }
    }

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var page = await _store.RangeAfterAsync(Channel, _cursor, _pageSize, cancellationToken);
            if (page.Count == 0)
            {
                return;
            }

            var subscribers = Volatile.Read(ref _subscribers);
            foreach (var storedEvent in page)
            {
                foreach (var subscriber in subscribers)
                {
                    subscriber.Offer(storedEvent);
                }
            }

            _cursor = page[^1].Id;
            if (page.Count < _pageSize)
            {
                return;
            }
        }
    }

    private async Task WaitForDoorbellAsync(CancellationToken cancellationToken)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var rung = _doorbell.Reader.WaitToReadAsync(poll.Token).AsTask();
        var timeout = Task.Delay(_pollInterval, _time, poll.Token);
        await Task.WhenAny(rung, timeout);
        await poll.CancelAsync();
        try
        {
            await Task.WhenAll(rung, timeout);
        }
        catch (OperationCanceledException)
        {
            // The loser of the race was cancelled; so was everything, when the pump stops.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live delivery of channel {Channel} paused: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, string channel, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Live delivery of channel {Channel} failed; retrying at the next poll")]
    private static partial void LogUnexpected(ILogger logger, string channel, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Live delivery of channel {Channel} resumed after {Cursor}")]
    private static partial void LogRecovered(ILogger logger, string channel, StreamId cursor);
}
