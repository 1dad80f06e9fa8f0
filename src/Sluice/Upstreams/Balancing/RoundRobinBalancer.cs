namespace Sluice.Upstreams.Balancing;

/// <summary>
/// nginx's smooth weighted round robin with passive health (<c>ngx_http_upstream_round_robin.c</c>): each
/// pick adds every available peer's effective weight to its current weight, takes the largest and subtracts
/// the total; a failure lowers the effective weight by weight/max_fails, and max_fails failures within
/// fail_timeout take the peer out for fail_timeout, after which it gets one trial request. Backups serve
/// only when no primary is available. Weights 5,1,1 give a a b a c a a.
/// </summary>
public sealed class RoundRobinBalancer : IUpstreamBalancer
{
    private readonly PeerSet _primary;
    private readonly TimeProvider _time;

    public RoundRobinBalancer(PeerSet primary, TimeProvider time)
    {
        _primary = primary;
        _time = time;
    }

    public PeerSelection Begin(BalancerRequest request) => new(_primary, request);

    public UpstreamPeer? Pick(PeerSelection selection)
    {
        while (true)
        {
            var peers = selection.Peers;
            UpstreamPeer? peer;
            lock (peers.Lock)
            {
                peer = peers.IsSinglePeer ? PickSingle(peers) : PickWeighted(selection, Now());
                if (peer is not null)
                {
                    peer.Conns++;
                    selection.Current = peer;
                    return peer;
                }
            }

            if (peers.Next is null)
            {
                return null;
            }

            selection.Peers = peers.Next;
            selection.ResetTried();
        }
    }

    private static UpstreamPeer? PickSingle(PeerSet peers)
    {
        var peer = peers.Peers[0];
        if (peer.Down || (peer.MaxConns != 0 && peer.Conns >= peer.MaxConns))
        {
            return null;
        }

        return peer;
    }

    /// <summary>nginx's <c>ngx_http_upstream_get_peer</c>; called under the set's lock.</summary>
    internal static UpstreamPeer? PickWeighted(PeerSelection selection, long now)
    {
        var peers = selection.Peers.Peers;
        UpstreamPeer? best = null;
        var bestIndex = 0;
        var total = 0;
        for (var i = 0; i < peers.Length; i++)
        {
            var peer = peers[i];
            if (selection.Tried[i] || !IsAvailable(peer, now))
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

        selection.Tried[bestIndex] = true;
        best.CurrentWeight -= total;
        if (now - best.Checked > (long)best.FailTimeout.TotalSeconds)
        {
            best.Checked = now;
        }

        return best;
    }

    /// <summary>Not down, not failed max_fails times within fail_timeout, not at max_conns.</summary>
    internal static bool IsAvailable(UpstreamPeer peer, long now) =>
        !peer.Down
        && !(peer.MaxFails != 0 && peer.Fails >= peer.MaxFails && now - peer.Checked <= (long)peer.FailTimeout.TotalSeconds)
        && !(peer.MaxConns != 0 && peer.Conns >= peer.MaxConns);

    public void Free(PeerSelection selection, UpstreamPeer peer, bool failed) => FreePeer(selection, peer, failed, Now());

    /// <summary>nginx's <c>ngx_http_upstream_free_round_robin_peer</c>: failure accounting and the connection count.</summary>
    internal static void FreePeer(PeerSelection selection, UpstreamPeer peer, bool failed, long now)
    {
        var peers = selection.Peers;
        lock (peers.Lock)
        {
            if (peers.IsSinglePeer)
            {
                peer.Conns--;
                selection.Tries = 0;
                return;
            }

            if (failed)
            {
                peer.Fails++;
                peer.Accessed = now;
                peer.Checked = now;
                if (peer.MaxFails != 0)
                {
                    peer.EffectiveWeight -= peer.Weight / peer.MaxFails;
                }

                if (peer.EffectiveWeight < 0)
                {
                    peer.EffectiveWeight = 0;
                }
            }
            else if (peer.Accessed < peer.Checked)
            {
                // The trial after fail_timeout succeeded: the peer is live again.
                peer.Fails = 0;
            }

            peer.Conns--;
        }

        if (selection.Tries > 0)
        {
            selection.Tries--;
        }
    }

    /// <summary>nginx works in whole seconds (<c>ngx_time()</c>) for fail_timeout.</summary>
    private long Now() => _time.GetUtcNow().ToUnixTimeSeconds();
}
