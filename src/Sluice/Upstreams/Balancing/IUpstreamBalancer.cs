using System.Net;

namespace Sluice.Upstreams.Balancing;

/// <summary>
/// A balancing method (nginx's <c>peer.get</c> and <c>peer.free</c>): picks a peer for each attempt of a
/// request, and is told how the attempt ended, for passive health (max_fails within fail_timeout) and
/// connection counts. One instance per upstream group and configuration generation; thread-safe.
/// </summary>
public interface IUpstreamBalancer
{
    /// <summary>Per-request state for the attempts of one request (nginx's peer data).</summary>
    PeerSelection Begin(BalancerRequest request);

    /// <summary>The peer for the next attempt, its connection count already taken; null when none is available (nginx's NGX_BUSY: "no live upstreams").</summary>
    UpstreamPeer? Pick(PeerSelection selection);

    /// <summary>The attempt on <paramref name="peer"/> ended; <paramref name="failed"/> counts toward max_fails.</summary>
    void Free(PeerSelection selection, UpstreamPeer peer, bool failed);
}

/// <summary>What a balancing method may look at: the hash key (hash), the client address (ip_hash).</summary>
public readonly record struct BalancerRequest(string? HashKey, IPAddress? ClientAddress);

/// <summary>
/// The attempts of one request: which peers were tried (per set), which set is in use (primary, then
/// backup), how many tries remain. Methods that need more state derive from it.
/// </summary>
public class PeerSelection
{
    public PeerSelection(PeerSet primary, BalancerRequest request)
    {
        Peers = primary;
        Request = request;
        Tried = new bool[Math.Max(primary.Count, primary.Next?.Count ?? 0)];
        Tries = primary.Count + (primary.Next?.Count ?? 0);
    }

    /// <summary>The set peers are picked from now; switches to the backup set when the primary has none left.</summary>
    public PeerSet Peers { get; internal set; }

    public BalancerRequest Request { get; }

    /// <summary>nginx's <c>tried</c> bitmap for the current set, by peer index.</summary>
    public bool[] Tried { get; }

    /// <summary>Attempts still allowed (nginx's <c>pc-&gt;tries</c>: every peer once, less with proxy_next_upstream_tries).</summary>
    public int Tries { get; set; }

    /// <summary>The peer of the current attempt.</summary>
    public UpstreamPeer? Current { get; internal set; }

    /// <summary>Forgets the tried peers (when moving to the backup set).</summary>
    internal void ResetTried() => Array.Clear(Tried);
}
