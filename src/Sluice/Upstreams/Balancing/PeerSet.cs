namespace Sluice.Upstreams.Balancing;

/// <summary>
/// The primary peers of a group, or its backup peers (nginx's <c>ngx_http_upstream_rr_peers_t</c>): the
/// list in configuration order, its total weight, how many attempts it allows, and the lock that guards the
/// peers' state. <see cref="Next"/> of the primary set is the backup set.
/// </summary>
public sealed class PeerSet
{
    public PeerSet(string name, IReadOnlyList<UpstreamPeer> peers, bool isBackup, Lock? sharedLock = null)
    {
        Name = name;
        Peers = [.. peers];
        IsBackup = isBackup;
        TotalWeight = Peers.Sum(p => p.Weight);
        Tries = Peers.Count(p => !p.Down);
        Lock = sharedLock ?? new Lock();
    }

    /// <summary>The upstream group's name (for messages such as "no live upstreams while connecting to upstream").</summary>
    public string Name { get; }

    public UpstreamPeer[] Peers { get; }

    public bool IsBackup { get; }

    public int TotalWeight { get; }

    /// <summary>nginx's <c>peers-&gt;tries</c>: the peers that are not <c>down</c>.</summary>
    public int Tries { get; }

    /// <summary>nginx's <c>single</c>: one peer and no backup; no failure accounting then.</summary>
    public bool IsSinglePeer => Peers.Length == 1 && Next is null && !IsBackup;

    public PeerSet? Next { get; internal set; }

    /// <summary>
    /// Guards every peer's mutable state. One lock per upstream group, kept across reloads so that requests
    /// of an old generation and a new one update shared <see cref="PeerHealth"/> under the same lock.
    /// The critical sections are a scan of the peers: nginx takes the same lock with a shared zone.
    /// </summary>
    public Lock Lock { get; }

    public int Count => Peers.Length;
}
