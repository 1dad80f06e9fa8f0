using System.Net;

namespace Sluice.Upstreams.Balancing;

/// <summary>
/// One peer of an upstream group: an address of a <c>server</c> line (a name resolving to several addresses
/// gives several peers), with its parameters and nginx's round-robin state. The mutable fields are guarded
/// by the owning <see cref="PeerSet"/>'s lock, as nginx guards them with the upstream's lock.
/// </summary>
public sealed class UpstreamPeer
{
    public UpstreamPeer(string name, EndPoint address, int weight, int maxFails, TimeSpan failTimeout, int maxConns, bool down, string server)
    {
        Name = name;
        Address = address;
        Weight = weight;
        EffectiveWeight = weight;
        MaxFails = maxFails;
        FailTimeout = failTimeout;
        MaxConns = maxConns;
        Down = down;
        Server = server;
    }

    /// <summary>The address as nginx prints it in <c>$upstream_addr</c>: <c>127.0.0.1:8001</c>.</summary>
    public string Name { get; }

    public EndPoint Address { get; }

    /// <summary>The <c>server</c> line's name as written (<c>app-1:8000</c>), for hashing and logs.</summary>
    public string Server { get; }

    public int Weight { get; }

    public int MaxFails { get; }

    public TimeSpan FailTimeout { get; }

    public int MaxConns { get; }

    public bool Down { get; internal set; }

    internal int CurrentWeight;
    internal int EffectiveWeight;
    internal int Conns;
    internal int Fails;

    /// <summary>When the last failure happened (nginx's <c>accessed</c>), in whole seconds of the injected clock.</summary>
    internal long Accessed;

    /// <summary>Start of the current fail_timeout window (nginx's <c>checked</c>), in whole seconds.</summary>
    internal long Checked;

    /// <summary>Requests currently using this peer (for least_conn, max_conns, metrics).</summary>
    public int ActiveConnections => Volatile.Read(ref Conns);

    public int FailCount => Volatile.Read(ref Fails);

    public override string ToString() => Name;
}
