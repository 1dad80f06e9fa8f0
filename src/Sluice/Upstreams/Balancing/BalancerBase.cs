namespace Sluice.Upstreams.Balancing;

/// <summary>What every balancing method has: the peer sets, the clock, and nginx's round-robin free.</summary>
public abstract class BalancerBase : IUpstreamBalancer
{
    private readonly TimeProvider _time;

    protected BalancerBase(PeerSet peers, TimeProvider time)
    {
        Peers = peers;
        _time = time;
    }

    public PeerSet Peers { get; }

    public virtual PeerSelection Begin(BalancerRequest request, PeerSelection? reuse = null) => reuse?.Reset(Peers, request) ?? new(Peers, request);

    public abstract UpstreamPeer? Pick(PeerSelection selection);

    public bool Free(PeerSelection selection, UpstreamPeer peer, bool failed) => PeerRules.Free(selection, peer, failed, Now());

    /// <summary>nginx works in whole seconds (<c>ngx_time()</c>) for fail_timeout.</summary>
    protected long Now() => _time.GetUtcNow().ToUnixTimeSeconds();
}
