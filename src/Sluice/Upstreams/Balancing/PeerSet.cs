namespace Sluice.Upstreams.Balancing;

/// <summary>
/// The primary peers of a group, or its backup peers (nginx's <c>ngx_http_upstream_rr_peers_t</c>): the
/// list in configuration order, its total weight, whether weights differ, and the lock that guards the
/// peers' state. <see cref="Next"/> of the primary set is the backup set.
/// </summary>
public sealed class PeerSet
{
    public PeerSet(string name, IReadOnlyList<UpstreamPeer> peers, bool isBackup)
    {
        Name = name;
        Peers = [.. peers];
        IsBackup = isBackup;
        TotalWeight = Peers.Sum(p => p.Weight);
        Weighted = Peers.Any(p => p.Weight != 1);
    }

    /// <summary>The upstream group's name (for messages such as "no live upstreams while connecting to upstream").</summary>
    public string Name { get; }

    public UpstreamPeer[] Peers { get; }

    public bool IsBackup { get; }

    public int TotalWeight { get; }

    public bool Weighted { get; }

    /// <summary>nginx's <c>single</c>: one peer and no backup; no failure accounting then.</summary>
    public bool IsSinglePeer => Peers.Length == 1 && Next is null;

    public PeerSet? Next { get; internal set; }

    /// <summary>Guards every peer's mutable state in this set (one upstream, short critical sections).</summary>
    public object Lock { get; } = new();

    public int Count => Peers.Length;
}
