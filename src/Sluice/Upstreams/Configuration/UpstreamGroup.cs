using System.Collections.Immutable;
using System.Net;
using Sluice.Configuration.Syntax;
using Sluice.Variables;

namespace Sluice.Upstreams.Configuration;

/// <summary>
/// An upstream group as configured: an <c>upstream { }</c> block, or one nginx creates implicitly for a
/// <c>proxy_pass http://host:port</c> that names no block. The runtime groups and balancers are built from it.
/// </summary>
/// <param name="Name">The block name or the implicit host, as written.</param>
/// <param name="Port">The implicit upstream's port; 0 for a block.</param>
/// <param name="IsBlock">True for an <c>upstream { }</c> block.</param>
/// <param name="Servers">Primary and backup servers in configuration order.</param>
/// <param name="Keepalive">The idle connection cache, when <c>keepalive</c> is in effect.</param>
/// <param name="Zone">The shared zone name of the <c>zone</c> directive, if any.</param>
/// <param name="Location">Where the group was first named (the block, or the first proxy_pass naming it).</param>
public sealed record UpstreamGroup(
    string Name,
    int Port,
    bool IsBlock,
    ImmutableArray<UpstreamServer> Servers,
    BalancingMethod Balancing,
    UpstreamKeepalive? Keepalive,
    string? Zone,
    SourceLocation Location);

/// <summary>
/// One <c>server</c> line of a group, with the addresses its name resolved to when the configuration was
/// loaded. <paramref name="Drain"/> is Sluice's <c>drain</c> parameter (NGINX Plus has it; nginx does not).
/// </summary>
public sealed record UpstreamServer(
    string Name,
    ImmutableArray<EndPoint> Addresses,
    long Weight,
    long MaxFails,
    TimeSpan FailTimeout,
    long MaxConns,
    bool Backup,
    bool Down,
    bool Drain = false);

/// <summary>The balancing algorithms of nginx's upstream modules.</summary>
public enum BalancingKind
{
    /// <summary>Smooth weighted round robin (the default).</summary>
    RoundRobin,
    LeastConn,

    /// <summary>The first three octets of an IPv4 client address, the whole IPv6 address.</summary>
    IpHash,
    Hash,

    /// <summary><c>hash … consistent</c>: ketama points, 160 per unit of weight.</summary>
    ConsistentHash,
    Random,

    /// <summary><c>random two [least_conn]</c>: two random peers, the less loaded one wins.</summary>
    RandomTwo,
}

/// <summary>The balancing method of a group; <see cref="HashKey"/> is set for the hash methods.</summary>
public sealed record BalancingMethod(BalancingKind Kind, VariableTemplate? HashKey = null)
{
    public static BalancingMethod RoundRobin { get; } = new(BalancingKind.RoundRobin);
}

/// <summary><c>keepalive N</c> and its companions in the upstream block (nginx's defaults: 1h, 60s, 1000).</summary>
public sealed record UpstreamKeepalive(int MaxCached, TimeSpan Time, TimeSpan Timeout, long Requests);
