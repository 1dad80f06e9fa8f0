using System.Collections.Immutable;
using Sluice.Configuration.Values;

namespace Sluice.Geo;

/// <summary>
/// The networks of a <c>geo</c> block without <c>ranges</c>, with the outcomes of nginx's radix tree: adding a
/// network that is already there replaces it and reports the value the tree held for that address — the value of
/// the <em>longest</em> network containing it, which can be a more specific one than the network being replaced.
/// </summary>
internal sealed class GeoNetworkTable
{
    private readonly Dictionary<NginxCidr, string> _networks = [];
    private readonly List<NginxCidr> _order = [];

    /// <summary>Adds or replaces; returns the value nginx calls "old" when the network was already there.</summary>
    public string? Add(NginxCidr network, string value)
    {
        string? old = null;
        if (_networks.ContainsKey(network))
        {
            old = LongestMatch(network);
        }
        else
        {
            _order.Add(network);
        }

        _networks[network] = value;
        return old;
    }

    /// <summary>False when the exact network is not there (nginx warns).</summary>
    public bool Delete(NginxCidr network)
    {
        _order.Remove(network);
        return _networks.Remove(network);
    }

    public ImmutableArray<GeoNetwork> ToNetworks() => [.. _order.Select(n => new GeoNetwork(n, _networks[n]))];

    private string LongestMatch(NginxCidr network) => _networks
        .Where(e => e.Key.Contains(network.Address))
        .MaxBy(e => e.Key.PrefixLength)
        .Value;
}
