namespace Sluice.Upstreams.Balancing;

/// <summary>
/// nginx's <c>least_conn</c>: the available peer with the fewest connections relative to its weight
/// (conns/weight compared by cross-multiplication); among equals, smooth weighted round robin decides,
/// starting from the first of them. Backups serve when no primary is available.
/// </summary>
public sealed class LeastConnBalancer : BalancerBase
{
    public LeastConnBalancer(PeerSet peers, TimeProvider time)
        : base(peers, time)
    {
    }

    public override UpstreamPeer? Pick(PeerSelection selection)
    {
        if (selection.Peers.IsSinglePeer)
        {
            return RoundRobinBalancer.PickFrom(selection, Now());
        }

        var now = Now();
        while (true)
        {
            var set = selection.Peers;
            lock (set.Lock)
            {
                if (PickLeast(selection, set.Peers, now) is { } peer)
                {
                    return peer;
                }
            }

            if (set.Next is null)
            {
                return null;
            }

            selection.Peers = set.Next;
            selection.ResetTried();
        }
    }

    private static UpstreamPeer? PickLeast(PeerSelection selection, UpstreamPeer[] peers, long now)
    {
        UpstreamPeer? best = null;
        var bestIndex = 0;
        var many = false;
        for (var i = 0; i < peers.Length; i++)
        {
            var peer = peers[i];
            if (selection.IsTried(i) || !PeerRules.IsAvailable(peer, now))
            {
                continue;
            }

            if (best is null || (long)peer.Health.Conns * best.Weight < (long)best.Health.Conns * peer.Weight)
            {
                best = peer;
                bestIndex = i;
                many = false;
            }
            else if ((long)peer.Health.Conns * best.Weight == (long)best.Health.Conns * peer.Weight)
            {
                many = true;
            }
        }

        if (best is null)
        {
            return null;
        }

        if (many)
        {
            // Weighted round robin among the peers as loaded as the best one, from the best one on.
            var least = best;
            var total = 0;
            for (var i = bestIndex; i < peers.Length; i++)
            {
                var peer = peers[i];
                if (selection.IsTried(i)
                    || (long)peer.Health.Conns * least.Weight != (long)least.Health.Conns * peer.Weight
                    || !PeerRules.IsAvailable(peer, now))
                {
                    continue;
                }

                peer.CurrentWeight += peer.EffectiveWeight;
                total += peer.EffectiveWeight;
                if (peer.EffectiveWeight < peer.Weight)
                {
                    peer.EffectiveWeight++;
                }

                if (peer.CurrentWeight > best.CurrentWeight)
                {
                    best = peer;
                    bestIndex = i;
                }
            }

            best.CurrentWeight -= total;
        }

        return PeerRules.Take(selection, best, bestIndex, now);
    }
}
