using System.Net;
using System.Net.Sockets;
using Sluice.Upstreams.Configuration;

namespace Sluice.Upstreams.Balancing;

/// <summary>Builds the peers and the balancer of a configured upstream group.</summary>
public static class BalancerFactory
{
    public static IUpstreamBalancer Create(UpstreamGroup group, TimeProvider time, Random random, PeerHealthRegistry? health = null)
    {
        health ??= new PeerHealthRegistry();
        var groupHealth = health.For(group.Name);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var primary = new PeerSet(group.Name, Peers(group.Servers.Where(s => !s.Backup), groupHealth, seen), isBackup: false, groupHealth.Lock);
        var backups = Peers(group.Servers.Where(s => s.Backup), groupHealth, seen);
        if (backups.Count > 0)
        {
            primary.Next = new PeerSet(group.Name, backups, isBackup: true, groupHealth.Lock);
        }

        return group.Balancing.Kind switch
        {
            BalancingKind.RoundRobin => new RoundRobinBalancer(primary, time),
            BalancingKind.LeastConn => new LeastConnBalancer(primary, time),
            BalancingKind.IpHash => new IpHashBalancer(primary, time),
            BalancingKind.Hash => new HashBalancer(primary, time),
            BalancingKind.ConsistentHash => new ConsistentHashBalancer(primary, time),
            BalancingKind.Random => new RandomBalancer(primary, time, random, two: false),
            BalancingKind.RandomTwo => new RandomBalancer(primary, time, random, two: true),
            _ => throw new InvalidOperationException($"unknown balancing method {group.Balancing.Kind}"),
        };
    }

    /// <param name="seen">How often each server/address pair came already: a repeated one is another peer, with its own health.</param>
    private static List<UpstreamPeer> Peers(IEnumerable<UpstreamServer> servers, PeerHealthRegistry.Group health, Dictionary<string, int> seen) =>
        [.. servers.SelectMany(server => server.Addresses.Select(address =>
        {
            var name = PeerName(address);
            var key = PeerHealthRegistry.Group.Key(server.Name, name);
            var occurrence = seen[key] = seen.GetValueOrDefault(key) + 1;
            return new UpstreamPeer(
                new UpstreamPeerOptions(
                    name,
                    address,
                    server.Name,
                    (int)server.Weight,
                    (int)server.MaxFails,
                    server.FailTimeout,
                    (int)server.MaxConns,
                    server.Down,
                    server.Drain),
                health.Peer(occurrence == 1 ? key : $"{key} #{occurrence}"));
        }))];

    /// <summary>The address as nginx prints it: <c>127.0.0.1:8001</c>, <c>[::1]:8001</c>, <c>unix:/path</c>.</summary>
    public static string PeerName(EndPoint address) => address switch
    {
        IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } v6 => $"[{v6.Address}]:{v6.Port}",
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        UnixDomainSocketEndPoint unix => $"unix:{unix}",
        _ => address.ToString() ?? "",
    };
}

/// <summary>
/// The peer health Sluice carries from one configuration generation to the next: per upstream group
/// name, the lock its peer sets share and each peer's <see cref="PeerHealth"/>, by server line and address.
/// A reload that keeps a peer keeps its connection count and failure window; a new generation's balancer and
/// the old generation's requests in flight then count under the same lock.
/// </summary>
public sealed class PeerHealthRegistry
{
    private readonly Dictionary<string, Group> _groups = new(StringComparer.OrdinalIgnoreCase);

    public Group For(string upstream)
    {
        lock (_groups)
        {
            if (!_groups.TryGetValue(upstream, out var group))
            {
                group = new Group();
                _groups[upstream] = group;
            }

            return group;
        }
    }

    /// <summary>Drops the groups and peers the new configuration no longer has.</summary>
    public void Keep(IEnumerable<UpstreamGroup> groups)
    {
        var wanted = groups.ToDictionary(g => g.Name, g => g, StringComparer.OrdinalIgnoreCase);
        lock (_groups)
        {
            foreach (var name in _groups.Keys.Where(n => !wanted.ContainsKey(n)).ToList())
            {
                _groups.Remove(name);
            }

            foreach (var (name, group) in _groups)
            {
                group.Keep(wanted[name].Servers.SelectMany(s => s.Addresses.Select(a => Group.Key(s.Name, BalancerFactory.PeerName(a)))));
            }
        }
    }

    /// <summary>One group's lock and peers.</summary>
    public sealed class Group
    {
        private readonly Dictionary<string, PeerHealth> _peers = new(StringComparer.Ordinal);

        public Lock Lock { get; } = new();

        public PeerHealth Peer(string key)
        {
            lock (_peers)
            {
                if (!_peers.TryGetValue(key, out var health))
                {
                    health = new PeerHealth();
                    _peers[key] = health;
                }

                return health;
            }
        }

        internal static string Key(string server, string address) => server + " " + address;

        internal void Keep(IEnumerable<string> keys)
        {
            var wanted = keys.ToHashSet(StringComparer.Ordinal);
            lock (_peers)
            {
                // "key #2" and later belong to their "key".
                foreach (var key in _peers.Keys.Where(k => !wanted.Contains(k.Split(" #")[0])).ToList())
                {
                    _peers.Remove(key);
                }
            }
        }
    }
}
