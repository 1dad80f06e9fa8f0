namespace Sluice.Upstreams.Balancing;

/// <summary>
/// nginx's <c>random</c> and <c>random two [least_conn]</c>: a peer drawn with probability proportional to
/// its weight; with <c>two</c>, two distinct available peers are drawn and the one with fewer connections
/// relative to its weight wins (the second on a tie, as in nginx). Unavailable draws are retried, up to 20 per request,
/// then round robin decides. The random source is injected so tests can fix it.
/// </summary>
public sealed class RandomBalancer : BalancerBase
{
    private readonly Random _random;
    private readonly bool _two;

    /// <summary>Where each primary peer's weight range starts on the line of total weight.</summary>
    private readonly int[] _rangeStarts;

    public RandomBalancer(PeerSet peers, TimeProvider time, Random random, bool two)
        : base(peers, time)
    {
        _random = random;
        _two = two;
        _rangeStarts = new int[peers.Count];
        var total = 0;
        for (var i = 0; i < peers.Count; i++)
        {
            _rangeStarts[i] = total;
            total += peers.Peers[i].Weight;
        }
    }

    public override UpstreamPeer? Pick(PeerSelection selection)
    {
        var now = Now();
        var set = selection.Peers;
        if (selection.MethodTries > 20 || set.IsSinglePeer || set.IsBackup)
        {
            return RoundRobinBalancer.PickFrom(selection, now);
        }

        lock (set.Lock)
        {
            var picked = _two ? PickTwo(selection, set, now) : PickOne(selection, set, now);
            if (picked is not null)
            {
                return picked;
            }
        }

        return RoundRobinBalancer.PickFrom(selection, now);
    }

    private UpstreamPeer? PickOne(PeerSelection selection, PeerSet set, long now)
    {
        while (true)
        {
            var index = Peek(set);
            var peer = set.Peers[index];
            if (!selection.IsTried(index) && PeerRules.IsAvailable(peer, now))
            {
                return PeerRules.Take(selection, peer, index, now);
            }

            if (++selection.MethodTries > 20)
            {
                return null;
            }
        }
    }

    private UpstreamPeer? PickTwo(PeerSelection selection, PeerSet set, long now)
    {
        UpstreamPeer? previous = null;
        var previousIndex = 0;
        while (true)
        {
            var index = Peek(set);
            var peer = set.Peers[index];
            if (peer != previous && !selection.IsTried(index) && PeerRules.IsAvailable(peer, now))
            {
                if (previous is not null)
                {
                    if ((long)peer.Health.Conns * previous.Weight > (long)previous.Health.Conns * peer.Weight)
                    {
                        (peer, index) = (previous, previousIndex);
                    }

                    return PeerRules.Take(selection, peer, index, now);
                }

                previous = peer;
                previousIndex = index;
            }

            if (++selection.MethodTries > 20)
            {
                return null;
            }
        }
    }

    /// <summary>nginx's <c>ngx_http_upstream_peek_random_peer</c>: a point on the weight line, to the peer whose range holds it.</summary>
    private int Peek(PeerSet set)
    {
        var x = _random.Next(set.TotalWeight);
        int i = 0, j = _rangeStarts.Length;
        while (j - i > 1)
        {
            var k = (i + j) / 2;
            if (x < _rangeStarts[k])
            {
                j = k;
            }
            else
            {
                i = k;
            }
        }

        return i;
    }
}
