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
                var peer = peers.IsSinglePeer ? PickSingle(selection, peers) : PeerRules.PickWeighted(selection, now, 0, default(AnyPeer));
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
}
