namespace Sluice.Upstreams.Balancing;

/// <summary>
/// nginx's smooth weighted round robin (<c>ngx_http_upstream_get_round_robin_peer</c>): each pick adds
/// every available peer's effective weight to its current weight, takes the largest and subtracts the
/// total, so weights 5,1,1 give a a b a c a a. Backups serve only when no primary is available. The other
/// methods fall back to it.
/// </summary>
public sealed class RoundRobinBalancer : BalancerBase
{
    public RoundRobinBalancer(PeerSet peers, TimeProvider time)
        : base(peers, time)
    {
    }

    public override UpstreamPeer? Pick(PeerSelection selection) => PickFrom(selection, Now());

    /// <summary>The round-robin pick from the selection's current set, then the backup set.</summary>
    internal static UpstreamPeer? PickFrom(PeerSelection selection, long now)
    {
        while (true)
        {
            var peers = selection.Peers;
            lock (peers.Lock)
            {
                var peer = peers.IsSinglePeer ? PickSingle(selection, peers) : PickWeighted(selection, now);
                if (peer is not null)
                {
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

    /// <summary>One peer and no backup: no failure accounting, only down and max_conns keep it from serving.</summary>
    private static UpstreamPeer? PickSingle(PeerSelection selection, PeerSet peers)
    {
        var peer = peers.Peers[0];
        if (!peer.Usable || PeerRules.IsFull(peer))
        {
            return null;
        }

        peer.Health.Conns++;
        selection.Current = peer;
        return peer;
    }

    /// <summary>nginx's <c>ngx_http_upstream_get_peer</c>; called under the set's lock.</summary>
    private static UpstreamPeer? PickWeighted(PeerSelection selection, long now)
    {
        var peers = selection.Peers.Peers;
        UpstreamPeer? best = null;
        var bestIndex = 0;
        var total = 0;
        for (var i = 0; i < peers.Length; i++)
        {
            var peer = peers[i];
            if (selection.IsTried(i) || !PeerRules.IsAvailable(peer, now))
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
        return PeerRules.Take(selection, best, bestIndex, now);
    }
}
