using System.Diagnostics;
using System.Net;
using Sluice.Upstreams.Configuration;

namespace Sluice.Upstreams.Http1;

/// <summary>
/// nginx's upstream keepalive cache (<c>ngx_http_upstream_keepalive_module</c>): at most <c>keepalive N</c>
/// idle connections for the whole group, most recently used first; a connection is found again by its
/// peer's address, and when the cache is full the least recently used one is closed. A connection is not
/// cached after <c>keepalive_requests</c> requests or <c>keepalive_time</c> of age, and is closed after
/// <c>keepalive_timeout</c> idle. One per upstream group; the lock guards a list of at most N entries.
/// </summary>
public sealed class KeepaliveCache : IDisposable
{
    private readonly UpstreamKeepalive _settings;

    /// <summary>keepalive_timeout in <see cref="Stopwatch"/> ticks: the walk in <see cref="TakeNewest"/> reads the clock once.</summary>
    private readonly long _timeoutTicks;
    private readonly LinkedList<UpstreamConnection> _idle = new();

    /// <summary>Guards <see cref="_idle"/>; a <see cref="Lock"/>, whose uncontended enter and exit stay in managed code.</summary>
    private readonly Lock _lock = new();
    private readonly ITimer _sweeper;
    private bool _disposed;

    public KeepaliveCache(UpstreamKeepalive settings, TimeProvider time)
    {
        _settings = settings;
        _timeoutTicks = (long)Math.Min(long.MaxValue / 2, settings.Timeout.TotalSeconds * Stopwatch.Frequency);

        // Closes connections idle longer than keepalive_timeout even when no request comes to take them.
        var period = settings.Timeout < TimeSpan.FromSeconds(1) ? settings.Timeout : TimeSpan.FromSeconds(1);
        _sweeper = time.CreateTimer(static s => ((KeepaliveCache)s!).Sweep(), this, period, period);
    }

    /// <summary>Idle connections now (for tests and metrics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>The most recently cached open connection to <paramref name="peer"/>, or null.</summary>
    public UpstreamConnection? Take(EndPoint peer)
    {
        while (TakeNewest(peer) is { } connection)
        {
            // nginx watches its idle connections and closes one the moment the peer closes it (or sends
            // anything); the read each idle connection has posted sees the same (UpstreamConnection.StartIdleRead).
            // A request then meets a closed connection only when the peer closes it just as the request arrives,
            // and nginx's rules for that (a failure, one more try) apply in the caller.
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
    /// run on this thread, else the most recently cached one; out of the cache, expired ones on the way closed.
    /// </summary>
    /// <remarks>
    /// Socket completions run inline on the event loop thread their socket belongs to. A request is handled on its
    /// client connection's loop; with an upstream connection of the same loop the whole exchange stays on one
    /// thread, as an nginx worker keeps a request and its upstream connection together. With one of the other
    /// loop, every request hops between two threads and waits whenever either is not running (measured: a third
    /// less p99 latency under load with the preference).
    /// </remarks>
    private UpstreamConnection? TakeNewest(EndPoint peer)
    {
        List<UpstreamConnection>? dead = null;
        UpstreamConnection? found = null;
        var thread = Environment.CurrentManagedThreadId;
        var now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            LinkedListNode<UpstreamConnection>? newest = null;
            for (var node = _idle.Last; node is not null;)
            {
                // Removing a node forgets its neighbours: the walk goes on from the one before it.
                var previous = node.Previous;
                // The peer's own EndPoint object made the connection, so identity nearly always decides.
                if (ReferenceEquals(node.Value.Peer, peer) || node.Value.Peer.Equals(peer))
                {
                    if (Expired(node.Value, now))
                    {
                        _idle.Remove(node);
                        (dead ??= []).Add(node.Value);
                    }
                    else if (node.Value.HomeThread == thread)
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
                _idle.Remove(newest);
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
        if (!connection.StartIdleRead())
        {
            // The peer closed the connection (or sent something unasked) as its response ended.
            connection.Dispose();
            return;
        }

        connection.IdleSince = now;
        UpstreamConnection? evicted = null;
        lock (_lock)
        {
            if (_idle.Count >= _settings.MaxCached)
            {
                evicted = _idle.First!.Value;
                _idle.RemoveFirst();
            }

            _idle.AddLast(connection.CacheNode);
        }

        evicted?.Dispose();
    }

    public void Dispose()
    {
        _disposed = true;
        _sweeper.Dispose();
        List<UpstreamConnection> all;
        lock (_lock)
        {
            all = [.. _idle];
            _idle.Clear();
        }

        foreach (var connection in all)
        {
            connection.Dispose();
        }
    }

    private bool Expired(UpstreamConnection connection, long now) => now - connection.IdleSince > _timeoutTicks;

    private void Sweep()
    {
        List<UpstreamConnection>? expired = null;
        lock (_lock)
        {
            // Oldest first: stop at the first one still within keepalive_timeout.
            while (_idle.First is { } oldest && (Expired(oldest.Value, Stopwatch.GetTimestamp()) || !oldest.Value.IsIdleAndOpen()))
            {
                _idle.RemoveFirst();
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
