using System.Net;
using System.Net.Sockets;

namespace Sluice.Upstreams.Balancing;

/// <summary>
/// nginx's <c>ip_hash</c>: the first three octets of an IPv4 client address (the whole 16 bytes of IPv6)
/// hashed as <c>hash = (hash * 113 + byte) % 6271</c> from 89, taken modulo the total weight to a peer;
/// an unavailable peer rehashes (the hash keeps running), and after 20 misses round robin decides.
/// The same client maps to the same server as under nginx.
/// </summary>
public sealed class IpHashBalancer : BalancerBase
{
    /// <summary>What nginx hashes for a client that has no IP address (a unix socket).</summary>
    private static readonly byte[] PseudoAddress = [0, 0, 0];

    public IpHashBalancer(PeerSet peers, TimeProvider time)
        : base(peers, time)
    {
    }

    public override PeerSelection Begin(BalancerRequest request, PeerSelection? reuse = null)
    {
        var selection = base.Begin(request, reuse);
        selection.Hash = 89;
        return selection;
    }

    public override UpstreamPeer? Pick(PeerSelection selection)
    {
        var now = Now();
        var set = selection.Peers;
        if (selection.MethodTries > 20 || set.IsSinglePeer || set.IsBackup)
        {
            return RoundRobinBalancer.PickFrom(selection, now);
        }

        Span<byte> address = stackalloc byte[16];
        var length = AddressBytes(selection.Request.ClientAddress, address);
        address = address[..length];
        lock (set.Lock)
        {
            var hash = selection.Hash;
            while (true)
            {
                foreach (var b in address)
                {
                    hash = ((hash * 113) + b) % 6271;
                }

                var index = PeerAt(set, (int)(hash % (uint)set.TotalWeight));
                var peer = set.Peers[index];
                if (!selection.IsTried(index) && PeerRules.IsAvailable(peer, now))
                {
                    selection.Hash = hash;
                    return PeerRules.Take(selection, peer, index, now);
                }

                if (++selection.MethodTries > 20)
                {
                    break;
                }
            }
        }

        return RoundRobinBalancer.PickFrom(selection, now);
    }

    /// <summary>The peer that owns position <paramref name="w"/> of the weight line (each peer covers its weight).</summary>
    internal static int PeerAt(PeerSet set, int w)
    {
        var peers = set.Peers;
        var index = 0;
        while (w >= peers[index].Weight)
        {
            w -= peers[index].Weight;
            index++;
        }

        return index;
    }

    /// <summary>The bytes nginx hashes: three octets of IPv4 (also of an IPv4-mapped IPv6 address, which nginx sees on its IPv4 socket), sixteen of IPv6.</summary>
    internal static int AddressBytes(IPAddress? client, Span<byte> destination)
    {
        if (client is null)
        {
            PseudoAddress.CopyTo(destination);
            return 3;
        }

        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }

        client.TryWriteBytes(destination, out var written);
        return client.AddressFamily == AddressFamily.InterNetwork ? 3 : written;
    }
}
