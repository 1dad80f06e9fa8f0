using System.Collections.Immutable;
using Sluice.Configuration.Syntax;
using Sluice.Configuration.Values;

namespace Sluice.Geo;

/// <summary>
/// A compiled <c>geo</c> block: the variable it defines is looked up by the client address (or by
/// <see cref="SourceVariable"/>), through <see cref="Proxies"/> via X-Forwarded-For when the peer is a trusted proxy.
/// Without <c>ranges</c> the longest matching network wins (a <c>default</c> is the /0 networks); with
/// <c>ranges</c> the range holding the IPv4 address wins. <see cref="Default"/> is the value when nothing matches.
/// </summary>
public sealed record GeoDefinition(
    string Variable,
    string? SourceVariable,
    ImmutableArray<NginxCidr> Proxies,
    bool ProxyRecursive,
    bool UsesRanges,
    ImmutableArray<GeoNetwork> Networks,
    ImmutableArray<GeoRange> Ranges,
    string Default,
    SourceLocation Location);

public readonly record struct GeoNetwork(NginxCidr Network, string Value);

/// <summary>An inclusive IPv4 range, addresses as host-order numbers.</summary>
public readonly record struct GeoRange(uint Start, uint End, string Value);

/// <summary>Every <c>geo</c> of one configuration load, in definition order.</summary>
public sealed class GeoConfState
{
    public List<GeoDefinition> Geos { get; } = [];
}
