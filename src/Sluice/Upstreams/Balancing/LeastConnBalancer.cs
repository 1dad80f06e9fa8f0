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

        // Among the peers as loaded as the best one, weighted round robin decides, from the best one on.
        return many
            ? PeerRules.PickWeighted(selection, now, bestIndex, new SameLoad(best))
            : PeerRules.Take(selection, best, bestIndex, now);
    }

    /// <summary>Peers whose connections per weight equal the least loaded peer's.</summary>
    private readonly struct SameLoad(UpstreamPeer least) : IPeerFilter
    {
        public bool Admits(UpstreamPeer peer) => (long)peer.Health.Conns * least.Weight == (long)least.Health.Conns * peer.Weight;
    }
}
