namespace Sluice.Upstreams.Balancing;

/// <summary>
/// nginx's round-robin peer rules that every balancing method shares (<c>ngx_http_upstream_round_robin.c</c>):
/// when a peer may be chosen, what choosing it records, and the failure accounting when an attempt ends.
/// All of them run under the group's lock; times are whole seconds, as nginx's <c>ngx_time()</c>.
/// </summary>
internal static class PeerRules
{
    /// <summary>Not down or draining, not failed max_fails times within fail_timeout, not at max_conns.</summary>
    public static bool IsAvailable(UpstreamPeer peer, long now) =>
        peer.Usable && !IsFailed(peer, now) && !IsFull(peer);

    /// <summary>max_fails failures and the fail_timeout window that began with the last of them not over yet.</summary>
    public static bool IsFailed(UpstreamPeer peer, long now) =>
        peer.MaxFails != 0 && peer.Health.Fails >= peer.MaxFails && now - peer.Health.Checked <= peer.FailTimeoutSeconds;

    public static bool IsFull(UpstreamPeer peer) => peer.MaxConns != 0 && peer.Health.Conns >= peer.MaxConns;

    /// <summary>For the metrics: whether the peer takes new requests now, and when its fail_timeout ends if it is out (0 if not).</summary>
    /// <remarks>Read without the group's lock: a scrape may see a peer a moment before or after a change.</remarks>
    public static (bool Available, long FailedUntil) Describe(UpstreamPeer peer, long now)
    {
        var failed = IsFailed(peer, now);
        return (peer.Usable && !failed, failed ? Volatile.Read(ref peer.Health.Checked) + peer.FailTimeoutSeconds : 0);
    }

    /// <summary>
    /// The attempt goes to <paramref name="peer"/>: one more connection, a new fail_timeout window when the
    /// last one is over (the request after fail_timeout is the trial), and the peer is marked tried.
    /// </summary>
    public static UpstreamPeer Take(PeerSelection selection, UpstreamPeer peer, int index, long now)
    {
        if (now - peer.Health.Checked > peer.FailTimeoutSeconds)
        {
            peer.Health.Checked = now;
        }

        peer.Health.Conns++;
        selection.MarkTried(index);
        selection.Current = peer;
        return peer;
    }

    /// <summary>
    /// Smooth weighted round robin (nginx's <c>ngx_http_upstream_get_peer</c>) over the available, untried
    /// peers from <paramref name="start"/> on that <paramref name="filter"/> admits: each adds its effective
    /// weight to its current weight, the largest wins and gives back the total. Round robin takes every
    /// peer; least_conn those as loaded as the least loaded; consistent hash those of one server line.
    /// </summary>
    public static UpstreamPeer? PickWeighted<TFilter>(PeerSelection selection, long now, int start, TFilter filter)
        where TFilter : struct, IPeerFilter
    {
        var peers = selection.Peers.Peers;
        UpstreamPeer? best = null;
        var bestIndex = 0;
        var total = 0;
        for (var i = start; i < peers.Length; i++)
        {
            var peer = peers[i];
            if (selection.IsTried(i) || !IsAvailable(peer, now) || !filter.Admits(peer))
            {
                continue;
            }

            peer.CurrentWeight += peer.EffectiveWeight;
            total += peer.EffectiveWeight;
            if (peer.EffectiveWeight < peer.Weight)
            {
                peer.EffectiveWeight++;
            }

            if (best is null || peer.CurrentWeight > best.CurrentWeight)
            {
                best = peer;
                bestIndex = i;
            }
        }

        if (best is null)
        {
            return null;
        }

        best.CurrentWeight -= total;
        return Take(selection, best, bestIndex, now);
    }

    /// <summary>
    /// nginx's <c>ngx_http_upstream_free_round_robin_peer</c>. A failure counts toward max_fails, restarts the
    /// window and lowers the effective weight by weight/max_fails; a success after the window was restarted
    /// (the trial) makes the peer live again. Returns true when this failure disabled the peer.
    /// </summary>
    public static bool Free(PeerSelection selection, UpstreamPeer peer, bool failed, long now)
    {
        var peers = selection.Peers;
        var disabled = false;
        lock (peers.Lock)
        {
            var health = peer.Health;
            if (peers.IsSinglePeer)
            {
                health.Conns--;
                selection.Tries = 0;
                return false;
            }

            if (failed)
            {
                health.Fails++;
                health.Accessed = now;
                health.Checked = now;
                if (peer.MaxFails != 0)
                {
                    peer.EffectiveWeight -= peer.Weight / peer.MaxFails;
                    disabled = health.Fails >= peer.MaxFails;
                }

                if (peer.EffectiveWeight < 0)
                {
                    peer.EffectiveWeight = 0;
                }
            }
            else if (health.Accessed < health.Checked)
            {
                health.Fails = 0;
            }

            health.Conns--;
        }

        if (selection.Tries > 0)
        {
            selection.Tries--;
        }

        return disabled;
    }
}

/// <summary>Which peers a weighted round-robin pick considers (a struct, so the check is inlined).</summary>
internal interface IPeerFilter
{
    bool Admits(UpstreamPeer peer);
}

/// <summary>Every peer: plain round robin.</summary>
internal readonly struct AnyPeer : IPeerFilter
{
    public bool Admits(UpstreamPeer peer) => true;
}
