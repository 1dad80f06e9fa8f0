using System.Diagnostics;
using System.Net;
using Sluice.Upstreams.Configuration;

namespace Sluice.Upstreams.Http1;

/// <summary>
/// nginx's upstream keepalive cache (<c>ngx_http_upstream_keepalive_module</c>): at most <c>keepalive N</c>
/// idle connections per worker, most recently used first; a connection is found again by its peer's address, and
/// when a worker's cache is full its least recently used one is closed. A connection is not cached after
/// <c>keepalive_requests</c> requests or <c>keepalive_time</c> of age, and is closed after <c>keepalive_timeout</c> idle.
/// One per upstream group.
/// </summary>
/// <remarks>
/// Sluice's workers are its event loops (<see cref="EventLoop"/>): the cache is split into one shard per
/// <c>worker_processes</c>, each holding N, and a request takes from the shard of the loop it runs on. A connection
/// goes back to the shard of the loop its socket events run on, so a loop's shard fills with connections whose
/// completions come to that very loop: request and upstream connection stay on one thread, as in an nginx worker,
/// and the shards' locks are met by one loop each but for the odd connection still finding its home. With one shared
/// list, a loop left with too few connections of its own kept taking the other loop's — every request then hopped
/// between threads and contended for one lock, and whether a process fell into that state depended on how its first
/// connections happened to be spread (measured: a third more CPU per request in such a process).
/// </remarks>
public sealed class KeepaliveCache : IDisposable
{
    private readonly UpstreamKeepalive _settings;

    /// <summary>keepalive_timeout in <see cref="Stopwatch"/> ticks: a walk reads the clock once.</summary>
    private readonly long _timeoutTicks;
    private readonly Shard[] _shards;
    private readonly ITimer _sweeper;
    private bool _disposed;

    /// <param name="workers">nginx's worker_processes: the number of shards, each keeping up to <c>keepalive N</c>.</param>
    public KeepaliveCache(UpstreamKeepalive settings, TimeProvider time, int workers = 1)
    {
        _settings = settings;
        _timeoutTicks = (long)Math.Min(long.MaxValue / 2, settings.Timeout.TotalSeconds * Stopwatch.Frequency);
        _shards = new Shard[Math.Max(1, workers)];
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard();
        }

        // Closes connections idle longer than keepalive_timeout even when no request comes to take them.
        var period = settings.Timeout < TimeSpan.FromSeconds(1) ? settings.Timeout : TimeSpan.FromSeconds(1);
        _sweeper = time.CreateTimer(static s => ((KeepaliveCache)s!).Sweep(), this, period, period);
    }

    /// <summary>Idle connections now, in every shard (for tests and metrics).</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var shard in _shards)
            {
                lock (shard.Lock)
                {
                    count += shard.Idle.Count;
                }
            }

            return count;
        }
    }

    /// <summary>The most recently cached open connection to <paramref name="peer"/> in this event loop's shard, or null.</summary>
    public UpstreamConnection? Take(EndPoint peer)
    {
        var loop = EventLoop.Current;
        var shard = ShardOf(loop);
        while (TakeNewest(shard, peer, loop) is { } connection)
        {
            // nginx watches its idle connections and closes one the moment the peer closes it (or sends
            // anything); the event loop's readiness flags tell the same as a connection leaves the cache, and a
            // connection idle for a second or more is also checked with the kernel (see
            // UpstreamConnection.KernelCheckAfterIdle). A request then meets a closed connection only when the peer
            // closes it just as the request arrives, and nginx's rules for that (a failure, one more try) apply in
            // the caller.
            if (connection.IsIdleAndOpen())
            {
                connection.Reused = true;
                return connection;
            }

            connection.Dispose();
        }

        return null;
    }

    /// <summary>
    /// The most recently cached connection to <paramref name="peer"/> within keepalive_timeout whose socket events
    /// run on <paramref name="loop"/>, else the most recently cached one; out of the shard, expired ones on the way closed.
    /// </summary>
    private UpstreamConnection? TakeNewest(Shard shard, EndPoint peer, int loop)
    {
        List<UpstreamConnection>? dead = null;
        UpstreamConnection? found = null;
        var now = Stopwatch.GetTimestamp();
        lock (shard.Lock)
        {
            LinkedListNode<UpstreamConnection>? newest = null;
            for (var node = shard.Idle.Last; node is not null;)
            {
                // Removing a node forgets its neighbours: the walk goes on from the one before it.
                var previous = node.Previous;
                // The peer's own EndPoint object made the connection, so identity nearly always decides.
                if (ReferenceEquals(node.Value.Peer, peer) || node.Value.Peer.Equals(peer))
                {
                    if (Expired(node.Value, now))
                    {
                        shard.Idle.Remove(node);
                        (dead ??= []).Add(node.Value);
                    }
                    else if (node.Value.HomeLoop == loop)
                    {
                        newest = node;
                        break;
                    }
                    else
                    {
                        newest ??= node;
                    }
                }

                node = previous;
            }

            if (newest is not null)
            {
                shard.Idle.Remove(newest);
                found = newest.Value;
            }
        }

        if (dead is not null)
        {
            foreach (var connection in dead)
            {
                connection.Dispose();
            }
        }

        return found;
    }

    /// <summary>
    /// Keeps <paramref name="connection"/> for a later request, or closes it when it has served
    /// keepalive_requests or lived keepalive_time. The caller has checked the response allows reuse.
    /// </summary>
    public void Return(UpstreamConnection connection)
    {
        var now = Stopwatch.GetTimestamp();
        if (connection.Requests >= _settings.Requests || Stopwatch.GetElapsedTime(connection.CreatedAt, now) > _settings.Time || _disposed)
        {
            connection.Dispose();
            return;
        }

        connection.StopTimer();
        connection.Reused = false;
        connection.Start = connection.End = 0;
        connection.ReleaseBuffer();
        connection.IdleSince = now;
        var shard = ShardOf(connection.HomeLoop != 0 ? connection.HomeLoop : EventLoop.Current);
        UpstreamConnection? evicted = null;
        lock (shard.Lock)
        {
            if (shard.Idle.Count >= _settings.MaxCached)
            {
                evicted = shard.Idle.First!.Value;
                shard.Idle.RemoveFirst();
            }

            shard.Idle.AddLast(connection.CacheNode);
        }

        evicted?.Dispose();
    }

    public void Dispose()
    {
        _disposed = true;
        _sweeper.Dispose();
        foreach (var shard in _shards)
        {
            List<UpstreamConnection> all;
            lock (shard.Lock)
            {
                all = [.. shard.Idle];
                shard.Idle.Clear();
            }

            foreach (var connection in all)
            {
                connection.Dispose();
            }
        }
    }

    private Shard ShardOf(int loop) => _shards[(uint)loop % (uint)_shards.Length];

    private bool Expired(UpstreamConnection connection, long now) => now - connection.IdleSince > _timeoutTicks;

    private void Sweep()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var shard in _shards)
        {
            List<UpstreamConnection>? expired = null;
            lock (shard.Lock)
            {
                // Oldest first: stop at the first one still within keepalive_timeout.
                while (shard.Idle.First is { } oldest && (Expired(oldest.Value, now) || !oldest.Value.IsIdleAndOpen()))
                {
                    shard.Idle.RemoveFirst();
                    (expired ??= []).Add(oldest.Value);
                }
            }

            if (expired is not null)
            {
                foreach (var connection in expired)
                {
                    connection.Dispose();
                }
            }
        }
    }

    /// <summary>One worker's idle connections, oldest first, and the lock that guards them.</summary>
    private sealed class Shard
    {
        public readonly LinkedList<UpstreamConnection> Idle = new();

        /// <summary>A <see cref="System.Threading.Lock"/>, whose uncontended enter and exit stay in managed code.</summary>
        public readonly Lock Lock = new();
    }
}
