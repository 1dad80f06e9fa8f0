using System.Collections.Concurrent;

namespace StreamApp.Store;

/// <summary>
/// The embedded store, used when no REDIS_URL is given: the same log-plus-subscriptions contract held in this
/// process. Ids are issued exactly as Redis issues stream ids (milliseconds, then a sequence within the
/// millisecond), so clients cannot tell the stores apart. Events are visible to the instances that share this
/// object — one, unless a host passes one store to several (<see cref="StreamAppOptions.EventStore"/>).
/// </summary>
public sealed class InMemoryEventStore : IEventStore
{
    private readonly ConcurrentDictionary<string, ChannelLog> _channels = new(StringComparer.Ordinal);
    private readonly int _maxLength;
    private readonly TimeProvider _time;

    public InMemoryEventStore(int maxLength, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        _maxLength = maxLength;
        _time = time;
    }

    public string Kind => "embedded";

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<StoredEvent> AppendAsync(string channel, string type, string data, string origin, CancellationToken cancellationToken) =>
        Task.FromResult(Log(channel).Append(type, data, origin, _time.GetUtcNow(), _maxLength));

    public Task<IReadOnlyList<StoredEvent>> RangeAfterAsync(string channel, StreamId after, int count, CancellationToken cancellationToken) =>
        Task.FromResult(_channels.TryGetValue(channel, out var log) ? log.RangeAfter(after, count) : (IReadOnlyList<StoredEvent>)[]);

    public Task<StreamId> LastIdAsync(string channel, CancellationToken cancellationToken) =>
        Task.FromResult(_channels.TryGetValue(channel, out var log) ? log.LastId : StreamId.Zero);

    public Task<IEventSubscription> SubscribeAsync(string channel, CancellationToken cancellationToken) =>
        Task.FromResult<IEventSubscription>(Log(channel).Subscribe());

    public ValueTask DisposeAsync()
    {
        foreach (var log in _channels.Values)
        {
            log.CompleteSubscribers();
        }

        return ValueTask.CompletedTask;
    }

    private ChannelLog Log(string channel) => _channels.GetOrAdd(channel, static name => new ChannelLog(name));

    /// <summary>
    /// One channel. Appends and subscriber changes take the same lock, so an event is either in the log before a
    /// subscriber's replay reads it or offered to that subscriber live — never neither.
    /// </summary>
    private sealed class ChannelLog(string name)
    {
        private readonly Lock _gate = new();
        private readonly List<StoredEvent> _events = [];
        private LiveQueue[] _subscribers = [];
        private StreamId _last;

        public StreamId LastId
        {
            get
            {
                lock (_gate)
                {
                    return _last;
                }
            }
        }

        public StoredEvent Append(string type, string data, string origin, DateTimeOffset now, int maxLength)
        {
            lock (_gate)
            {
                // Redis's rule: the current millisecond, or — when the clock has not moved on (or went back) — the
                // last id's millisecond with the next sequence number. Ids never go backwards.
                var ms = (ulong)Math.Max(0, now.ToUnixTimeMilliseconds());
                var id = ms > _last.Milliseconds ? new StreamId(ms, 0) : _last.Next();
                var stored = new StoredEvent(id, name, type, data, origin, now);
                _last = id;
                _events.Add(stored);

                // Trim in chunks (like XADD MAXLEN ~) so a full log does not shift the list on every append.
                if (_events.Count > maxLength + Math.Max(16, maxLength / 8))
                {
                    _events.RemoveRange(0, _events.Count - maxLength);
                }

                foreach (var subscriber in _subscribers)
                {
                    subscriber.Offer(stored);
                }

                return stored;
            }
        }

        public List<StoredEvent> RangeAfter(StreamId after, int count)
        {
            lock (_gate)
            {
                var start = FirstIndexAfter(after);
                var take = Math.Min(count, _events.Count - start);
                return take <= 0 ? [] : _events.GetRange(start, take);
            }
        }

        public LiveQueue Subscribe()
        {
            var queue = new LiveQueue(Unsubscribe);
            lock (_gate)
            {
                _subscribers = [.. _subscribers, queue];
            }

            return queue;
        }

        public void CompleteSubscribers()
        {
            lock (_gate)
            {
                foreach (var subscriber in _subscribers)
                {
                    subscriber.Complete();
                }
            }
        }

        private void Unsubscribe(LiveQueue queue)
        {
            lock (_gate)
            {
                _subscribers = Array.FindAll(_subscribers, s => !ReferenceEquals(s, queue));
            }
        }

        private int FirstIndexAfter(StreamId after)
        {
            // Ids are sorted: binary search for the first id greater than "after".
            int lo = 0, hi = _events.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (_events[mid].Id <= after)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }
    }
}
