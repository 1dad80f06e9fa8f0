using System.Net;

namespace Sluice.Upstreams.Balancing;

/// <summary>
/// One peer of an upstream group: an address of a <c>server</c> line (a name resolving to several addresses
/// gives several peers), with its parameters and nginx's round-robin weights. The weights belong to this
/// configuration generation; <see cref="Health"/> (connections, failures) is carried to the next generation
/// for a peer that stays. Mutable fields are guarded by the group's lock, as nginx guards them with the
/// upstream's lock.
/// </summary>
public sealed class UpstreamPeer
{
    public UpstreamPeer(UpstreamPeerOptions options, PeerHealth? health = null)
    {
        Name = options.Name;
        Address = options.Address;
        Weight = options.Weight;
        EffectiveWeight = options.Weight;
        MaxFails = options.MaxFails;
        FailTimeoutSeconds = (long)options.FailTimeout.TotalSeconds;
        MaxConns = options.MaxConns;
        Down = options.Down;
        Drain = options.Drain;
        Server = options.Server;
        Health = health ?? new PeerHealth();
    }

    /// <summary>The address as nginx prints it in <c>$upstream_addr</c>: <c>127.0.0.1:8001</c>.</summary>
    public string Name { get; }

    public EndPoint Address { get; }

    /// <summary>The <c>server</c> line's name as written (<c>app-1:8000</c>): the consistent hash ring is built from it.</summary>
    public string Server { get; }

    public int Weight { get; }

    public int MaxFails { get; }

    /// <summary>fail_timeout in whole seconds: nginx compares it with <c>ngx_time()</c>.</summary>
    public long FailTimeoutSeconds { get; }

    public int MaxConns { get; }

    /// <summary><c>down</c>: never chosen.</summary>
    public bool Down { get; }

    /// <summary>Sluice's <c>drain</c> (NGINX Plus's parameter): no new requests, the ones in flight finish.</summary>
    public bool Drain { get; }

    /// <summary>Connections, failures and the fail_timeout window; shared with the same peer of the next generation.</summary>
    public PeerHealth Health { get; }

    /// <summary>nginx's <c>current_weight</c> of smooth weighted round robin.</summary>
    internal int CurrentWeight;

    /// <summary>nginx's <c>effective_weight</c>: lowered by failures, recovers by one per pick.</summary>
    internal int EffectiveWeight;

    /// <summary>Requests currently using this peer (for least_conn, max_conns, metrics).</summary>
    public int ActiveConnections => Volatile.Read(ref Health.Conns);

    public int FailCount => Volatile.Read(ref Health.Fails);

    /// <summary>Where attempts on this peer are counted for the metrics endpoint; null when no block serves metrics.</summary>
    public Metrics.PeerMetrics? Metrics { get; set; }

    /// <summary>Not <c>down</c> or draining: the peer may take new requests when it is healthy.</summary>
    internal bool Usable => !Down && !Drain;

    public override string ToString() => Name;
}

/// <summary>What a <c>server</c> line says about one of its addresses.</summary>
public sealed record UpstreamPeerOptions(
    string Name,
    EndPoint Address,
    string Server,
    int Weight = 1,
    int MaxFails = 1,
    TimeSpan FailTimeout = default,
    int MaxConns = 0,
    bool Down = false,
    bool Drain = false);

/// <summary>
/// The state of a peer that outlives a configuration generation (nginx keeps it per worker and loses it on
/// reload; Sluice keeps it for peers that stay): open connections, failures, and nginx's <c>accessed</c> and
/// <c>checked</c> times in whole seconds of the injected clock. Guarded by the group's lock.
/// </summary>
public sealed class PeerHealth
{
    internal int Conns;
    internal int Fails;

    /// <summary>When the last failure happened (nginx's <c>accessed</c>).</summary>
    internal long Accessed;

    /// <summary>Start of the current fail_timeout window (nginx's <c>checked</c>).</summary>
    internal long Checked;
}
