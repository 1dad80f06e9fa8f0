using System.Net;

namespace Sluice.Upstreams.Balancing;

/// <summary>
/// A balancing method (nginx's <c>peer.get</c> and <c>peer.free</c>): picks a peer for each attempt of a
/// request, and is told how the attempt ended, for passive health (max_fails within fail_timeout) and
/// connection counts. One instance per upstream group and configuration generation; thread-safe.
/// </summary>
public interface IUpstreamBalancer
{
    /// <summary>The primary peers (their <see cref="PeerSet.Next"/> is the backup set).</summary>
    PeerSet Peers { get; }

    /// <summary>Per-request state for the attempts of one request (nginx's peer data); <paramref name="reuse"/> is reset and returned when given.</summary>
    PeerSelection Begin(BalancerRequest request, PeerSelection? reuse = null);

    /// <summary>The peer for the next attempt, its connection count already taken; null when none is available (nginx's NGX_BUSY: "no live upstreams").</summary>
    UpstreamPeer? Pick(PeerSelection selection);

    /// <summary>
    /// The attempt on <paramref name="peer"/> ended; <paramref name="failed"/> counts toward max_fails.
    /// Returns true when this failure took the peer out for fail_timeout (nginx warns "upstream server temporarily disabled").
    /// </summary>
    bool Free(PeerSelection selection, UpstreamPeer peer, bool failed);
}

/// <summary>What a balancing method may look at: the hash key (hash), the client address (ip_hash).</summary>
public readonly record struct BalancerRequest(string? HashKey, IPAddress? ClientAddress);

/// <summary>
/// The attempts of one request: which peers were tried (per set), which set is in use (primary, then
/// backup), how many tries remain, and the hash methods' running state.
/// </summary>
public sealed class PeerSelection
{
    private ulong _tried;
    private bool[]? _triedMore;

    public PeerSelection(PeerSet primary, BalancerRequest request)
    {
        Peers = primary;
        Reset(primary, request);
    }

    /// <summary>Starts over for another request (a selection is reused across the requests of a client connection).</summary>
    public PeerSelection Reset(PeerSet primary, BalancerRequest request)
    {
        Peers = primary;
        Request = request;
        var most = Math.Max(primary.Count, primary.Next?.Count ?? 0);
        if (most > 64 && (_triedMore is null || _triedMore.Length < most - 64))
        {
            _triedMore = new bool[most - 64];
        }

        ResetTried();
        Tries = primary.Tries + (primary.Next?.Tries ?? 0);
        Current = null;
        Hash = 0;
        Rehash = 0;
        MethodTries = 0;
        return this;
    }

    /// <summary>The set peers are picked from now; switches to the backup set when the primary has none left.</summary>
    public PeerSet Peers { get; internal set; }

    public BalancerRequest Request { get; private set; }

    /// <summary>Attempts still allowed (nginx's <c>pc-&gt;tries</c>: every peer that is not down once, less with proxy_next_upstream_tries).</summary>
    public int Tries { get; set; }

    /// <summary>The peer of the current attempt.</summary>
    public UpstreamPeer? Current { get; internal set; }

    /// <summary>ip_hash and hash: the running hash (for consistent hash, the ring position).</summary>
    internal uint Hash;

    /// <summary>hash: how many times the key was rehashed.</summary>
    internal uint Rehash;

    /// <summary>The hash and random methods' own attempt counter: after 20 misses they fall back to round robin.</summary>
    internal int MethodTries;

    /// <summary>nginx's <c>tried</c> bitmap for the current set, by peer index.</summary>
    internal bool IsTried(int index) => index < 64 ? (_tried & (1UL << index)) != 0 : _triedMore![index - 64];

    internal void MarkTried(int index)
    {
        if (index < 64)
        {
            _tried |= 1UL << index;
        }
        else
        {
            _triedMore![index - 64] = true;
        }
    }

    /// <summary>Forgets the tried peers (when moving to the backup set).</summary>
    internal void ResetTried()
    {
        _tried = 0;
        if (_triedMore is not null)
        {
            Array.Clear(_triedMore);
        }
    }
}
