using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace StreamApp.Store;

/// <summary>
/// Events in Redis, shared by every instance: one Redis Stream per channel (XADD issues the ids, which become the
/// SSE ids; XRANGE serves resumption), and one pub/sub channel used only as a doorbell ("channel X has new
/// entries"). Live delivery reads the stream itself (<see cref="RedisChannelPump"/>), never the pub/sub payload:
/// two instances publishing at once can have their PUBLISHes overtake each other, and messages are lost while a
/// connection is down, whereas the stream is ordered and durable — so the stream is the only source of truth.
/// </summary>
public sealed partial class RedisEventStore : IEventStore
{
    internal const string KeyPrefix = "streamapp:";
    private const int PumpPageSize = 256;

    private static readonly RedisChannel Doorbell = RedisChannel.Literal(KeyPrefix + "notify");

    private readonly RedisConnection _connection;
    private readonly int _maxLength;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisEventStore> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RedisChannelPump> _pumps = new(StringComparer.Ordinal);
    private ConnectionMultiplexer? _multiplexer;
    private bool _disposed;
    private bool _doorbellSubscribed;

    public RedisEventStore(RedisConnection connection, int maxLength, TimeSpan pollInterval, TimeProvider time, ILogger<RedisEventStore> logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        _connection = connection;
        _maxLength = maxLength;
        _pollInterval = pollInterval;
        _time = time;
        _logger = logger;
    }

    public string Kind => "redis";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var multiplexer = await _connection.GetAsync();
        _multiplexer = multiplexer;
        multiplexer.ConnectionRestored += (_, _) =>
        {
            RingAll();
            if (!Volatile.Read(ref _doorbellSubscribed))
            {
                _ = SubscribeDoorbellAsync(multiplexer);
            }
        };
        multiplexer.ConnectionFailed += (_, e) => LogConnectionFailed(_logger, _connection.Url.Endpoint, e.ConnectionType, e.FailureType);
        if (!multiplexer.IsConnected)
        {
            LogNotConnectedAtStart(_logger, _connection.Url.Endpoint);
        }

        await SubscribeDoorbellAsync(multiplexer);
    }

    public async Task<StoredEvent> AppendAsync(string channel, string type, string data, string origin, CancellationToken cancellationToken)
    {
        var multiplexer = Multiplexer;
        var now = _time.GetUtcNow();
        try
        {
            var id = await multiplexer.GetDatabase().StreamAddAsync(
                StreamKey(channel),
                [
                    new NameValueEntry("event", type),
                    new NameValueEntry("data", data),
                    new NameValueEntry("origin", origin),
                    new NameValueEntry("ts", now.ToUnixTimeMilliseconds()),
                ],
                maxLength: _maxLength,
                useApproximateMaxLength: true);

            // Fire and forget: a lost doorbell only delays delivery until the next poll, it never loses an event.
            await multiplexer.GetSubscriber().PublishAsync(Doorbell, channel, CommandFlags.FireAndForget);
            return new StoredEvent(StreamId.Parse(id.ToString()), channel, type, data, origin, now);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw Unavailable("XADD", e);
        }
    }

    public async Task<IReadOnlyList<StoredEvent>> RangeAfterAsync(string channel, StreamId after, int count, CancellationToken cancellationToken)
    {
        try
        {
            var entries = await Multiplexer.GetDatabase().StreamRangeAsync(StreamKey(channel), after.Next().ToString(), "+", count);
            var events = new StoredEvent[entries.Length];
            for (var i = 0; i < entries.Length; i++)
            {
                events[i] = ToEvent(channel, entries[i]);
            }

            return events;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw Unavailable("XRANGE", e);
        }
    }

    public async Task<StreamId> LastIdAsync(string channel, CancellationToken cancellationToken)
    {
        try
        {
            var entries = await Multiplexer.GetDatabase().StreamRangeAsync(StreamKey(channel), "-", "+", 1, Order.Descending);
            return entries.Length == 0 ? StreamId.Zero : StreamId.Parse(entries[0].Id.ToString());
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw Unavailable("XREVRANGE", e);
        }
    }

    public async Task<IEventSubscription> SubscribeAsync(string channel, CancellationToken cancellationToken)
    {
        RedisChannelPump pump;
        LiveQueue queue;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_pumps.TryGetValue(channel, out pump!))
            {
                pump = new RedisChannelPump(this, channel, PumpPageSize, _pollInterval, _time, _logger);
                _pumps.Add(channel, pump);
                pump.Start();
            }

            queue = new LiveQueue(q => Unsubscribe(pump, q));
            pump.Add(queue);
        }

        try
        {
            // The pump must know where it starts before the caller replays, or events appended between the replay and
            // the pump's first read would be in neither.
            await pump.Ready.WaitAsync(cancellationToken);
            return queue;
        }
        catch
        {
            queue.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        RedisChannelPump[] pumps;
        lock (_gate)
        {
            _disposed = true;
            pumps = [.. _pumps.Values];
            _pumps.Clear();
        }

        foreach (var pump in pumps)
        {
            await pump.DisposeAsync();
        }
    }

    private async Task SubscribeDoorbellAsync(ConnectionMultiplexer multiplexer)
    {
        try
        {
            // Once subscribed, the multiplexer restores the subscription after every reconnect. If Redis is down at
            // start, this is retried when the connection is restored; until then the pumps' polling delivers.
            await multiplexer.GetSubscriber().SubscribeAsync(Doorbell, (_, message) => Ring(message.ToString()));
            Volatile.Write(ref _doorbellSubscribed, true);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogDoorbellSubscribeFailed(_logger, RedisErrors.Describe(e));
        }
    }

    internal static RedisKey StreamKey(string channel) => KeyPrefix + "stream:" + channel;

    private ConnectionMultiplexer Multiplexer =>
        _multiplexer ?? throw new EventStoreUnavailableException("the Redis event store has not been started");

    private EventStoreUnavailableException Unavailable(string command, Exception e) =>
        new($"redis {_connection.Url.Endpoint} did not answer {command}: {RedisErrors.Describe(e)}", e);

    private static StoredEvent ToEvent(string channel, StreamEntry entry)
    {
        var ms = long.TryParse(entry["ts"].ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) ? t : 0;

        // Entries written by another producer may lack fields or carry a type that would break the SSE framing.
        var type = entry["event"].ToString();
        return new StoredEvent(
            StreamId.Parse(entry.Id.ToString()),
            channel,
            Api.Names.IsValid(type) ? type : Api.Names.DefaultEvent,
            entry["data"].ToString(),
            entry["origin"].ToString(),
            DateTimeOffset.FromUnixTimeMilliseconds(ms));
    }

    private void Unsubscribe(RedisChannelPump pump, LiveQueue queue)
    {
        bool stop;
        lock (_gate)
        {
            stop = pump.Remove(queue) == 0 && _pumps.TryGetValue(pump.Channel, out var current) && ReferenceEquals(current, pump);
            if (stop)
            {
                _pumps.Remove(pump.Channel);
            }
        }

        if (stop)
        {
            _ = pump.DisposeAsync().AsTask();
        }
    }

    private void Ring(string channel)
    {
        lock (_gate)
        {
            if (_pumps.TryGetValue(channel, out var pump))
            {
                pump.Ring();
            }
        }
    }

    private void RingAll()
    {
        lock (_gate)
        {
            foreach (var pump in _pumps.Values)
            {
                pump.Ring();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis {Endpoint} is not reachable yet; events and readiness wait for it (the client keeps reconnecting)")]
    private static partial void LogNotConnectedAtStart(ILogger logger, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis {Endpoint} {ConnectionType} connection failed: {FailureType}; reconnecting")]
    private static partial void LogConnectionFailed(ILogger logger, string endpoint, ConnectionType connectionType, ConnectionFailureType failureType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to the Redis doorbell failed ({Reason}); live events fall back to polling until the client resubscribes")]
    private static partial void LogDoorbellSubscribeFailed(ILogger logger, string reason);
}
