using System.Net;
using System.Net.Sockets;
using Sluice.Upstreams.Configuration;

namespace Sluice.Upstreams.Balancing;

/// <summary>Builds the peers and the balancer of a configured upstream group.</summary>
public static class BalancerFactory
{
    public static IUpstreamBalancer Create(UpstreamGroup group, TimeProvider time, Random random)
    {
        _ = random;
        var primary = new PeerSet(group.Name, Peers(group.Servers.Where(s => !s.Backup)), isBackup: false);
        var backups = Peers(group.Servers.Where(s => s.Backup));
        if (backups.Count > 0)
        {
            primary.Next = new PeerSet(group.Name, backups, isBackup: true);
        }

        return new RoundRobinBalancer(primary, time);
    }

    private static List<UpstreamPeer> Peers(IEnumerable<UpstreamServer> servers) =>
        [.. servers.SelectMany(server => server.Addresses.Select(address => new UpstreamPeer(
            PeerName(address),
            address,
            (int)server.Weight,
            (int)server.MaxFails,
            server.FailTimeout,
            (int)server.MaxConns,
            server.Down,
            server.Name)))];

    /// <summary>The address as nginx prints it: <c>127.0.0.1:8001</c>, <c>[::1]:8001</c>, <c>unix:/path</c>.</summary>
    public static string PeerName(EndPoint address) => address switch
    {
        IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } v6 => $"[{v6.Address}]:{v6.Port}",
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        UnixDomainSocketEndPoint unix => $"unix:{unix}",
        _ => address.ToString() ?? "",
    };
}
