using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace Sluice.Upstreams.Balancing;

/// <summary>
/// nginx's <c>hash $key</c> (compatible with Cache::Memcached): the running sum of
/// <c>(crc32([rehash] key) &gt;&gt; 16) &amp; 0x7fff</c>, modulo the total weight, to a peer; an unavailable peer
/// rehashes with the attempt number prefixed to the key, and after 20 misses round robin decides. An empty
/// key means round robin.
/// </summary>
public sealed class HashBalancer : BalancerBase
{
    public HashBalancer(PeerSet peers, TimeProvider time)
        : base(peers, time)
    {
    }

    public override UpstreamPeer? Pick(PeerSelection selection)
    {
        var now = Now();
        var set = selection.Peers;
        var key = selection.Request.HashKey;
        if (selection.MethodTries > 20 || set.IsSinglePeer || set.IsBackup || string.IsNullOrEmpty(key))
        {
            return RoundRobinBalancer.PickFrom(selection, now);
        }

        var keyLength = Encoding.UTF8.GetByteCount(key);
        var rented = keyLength + 10 > 512 ? ArrayPool<byte>.Shared.Rent(keyLength + 10) : null;
        try
        {
            Span<byte> buffer = rented ?? stackalloc byte[512];
            lock (set.Lock)
            {
                while (true)
                {
                    selection.Hash += KeyHash(buffer, key, selection.Rehash);
                    selection.Rehash++;
                    var index = IpHashBalancer.PeerAt(set, (int)(selection.Hash % (uint)set.TotalWeight));
                    var peer = set.Peers[index];
                    if (!selection.IsTried(index) && PeerRules.IsAvailable(peer, now))
                    {
                        return PeerRules.Take(selection, peer, index, now);
                    }

                    if (++selection.MethodTries > 20)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        return RoundRobinBalancer.PickFrom(selection, now);
    }

    /// <summary><c>(crc32(rehash key) &gt;&gt; 16) &amp; 0x7fff</c>, the rehash number written in decimal and left out the first time.</summary>
    internal static uint KeyHash(Span<byte> buffer, string key, uint rehash)
    {
        var length = 0;
        if (rehash > 0)
        {
            rehash.TryFormat(buffer, out length, default, CultureInfo.InvariantCulture);
        }

        length += Encoding.UTF8.GetBytes(key, buffer[length..]);
        return (Crc32.HashToUInt32(buffer[..length]) >> 16) & 0x7fff;
    }
}
