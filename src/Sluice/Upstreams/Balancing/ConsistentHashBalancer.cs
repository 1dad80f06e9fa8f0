using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Sluice.Upstreams.Balancing;

/// <summary>
/// nginx's <c>hash $key consistent</c> (ketama, compatible with Cache::Memcached::Fast): every server line
/// puts <c>160 × weight</c> points on a crc32 ring, point n being <c>crc32(HOST \0 PORT prev)</c> with prev
/// the little-endian previous point; a key goes to the first point at or after <c>crc32(key)</c>. Among the
/// peers of that server (one name may have several addresses) smooth weighted round robin decides; when
/// none is available the next point is tried, up to 20, then round robin.
/// </summary>
public sealed class ConsistentHashBalancer : BalancerBase
{
    private readonly RingPoint[] _points;

    public ConsistentHashBalancer(PeerSet peers, TimeProvider time)
        : base(peers, time)
    {
        _points = BuildRing(peers.Peers);
    }

    /// <summary>A point of the ring: its hash and the server line it belongs to.</summary>
    internal readonly record struct RingPoint(uint Hash, string Server);

    internal IReadOnlyList<RingPoint> Points => _points;

    public override PeerSelection Begin(BalancerRequest request, PeerSelection? reuse = null)
    {
        var selection = base.Begin(request, reuse);
        if (request.HashKey is { Length: > 0 } key)
        {
            var length = Encoding.UTF8.GetByteCount(key);
            var rented = length > 512 ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
            Span<byte> bytes = rented ?? stackalloc byte[512];
            bytes = bytes[..Encoding.UTF8.GetBytes(key, bytes)];
            selection.Hash = (uint)FindPoint(_points, Crc32.HashToUInt32(bytes));
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }

        return selection;
    }

    public override UpstreamPeer? Pick(PeerSelection selection)
    {
        var now = Now();
        var set = selection.Peers;
        if (selection.MethodTries > 20 || set.IsSinglePeer || set.IsBackup || string.IsNullOrEmpty(selection.Request.HashKey))
        {
            return RoundRobinBalancer.PickFrom(selection, now);
        }

        lock (set.Lock)
        {
            while (true)
            {
                var server = _points[(int)(selection.Hash % (uint)_points.Length)].Server;
                if (PeerRules.PickWeighted(selection, now, 0, new OfServer(server)) is { } peer)
                {
                    return peer;
                }

                selection.Hash++;
                if (++selection.MethodTries > 20)
                {
                    break;
                }
            }
        }

        return RoundRobinBalancer.PickFrom(selection, now);
    }

    /// <summary>nginx's <c>ngx_http_upstream_init_chash</c>: the points of every peer, sorted, duplicates dropped.</summary>
    internal static RingPoint[] BuildRing(IReadOnlyList<UpstreamPeer> peers)
    {
        var points = new List<RingPoint>();
        foreach (var peer in peers)
        {
            var (host, port) = SplitServer(peer.Server);
            var hostBytes = Encoding.UTF8.GetByteCount(host);
            var portBytes = Encoding.UTF8.GetByteCount(port);
            var buffer = new byte[hostBytes + 1 + portBytes + 4];
            Encoding.UTF8.GetBytes(host, buffer);
            Encoding.UTF8.GetBytes(port, buffer.AsSpan(hostBytes + 1));
            var prev = buffer.AsSpan(hostBytes + 1 + portBytes);
            uint previous = 0;
            for (var j = 0; j < peer.Weight * 160; j++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(prev, previous);
                previous = Crc32.HashToUInt32(buffer);
                points.Add(new RingPoint(previous, peer.Server));
            }
        }

        // nginx sorts with qsort and keeps the first of equal hashes; ties between servers are vanishingly rare.
        points.Sort((a, b) => a.Hash.CompareTo(b.Hash));
        var unique = new List<RingPoint>(points.Count);
        foreach (var point in points)
        {
            if (unique.Count == 0 || unique[^1].Hash != point.Hash)
            {
                unique.Add(point);
            }
        }

        return [.. unique];
    }

    /// <summary>The server name as nginx splits it for the ring: <c>unix:</c> paths whole, else host and the trailing digits after the last ':'.</summary>
    internal static (string Host, string Port) SplitServer(string server)
    {
        if (server.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            return (server[5..], "");
        }

        for (var j = server.Length - 1; j >= 0; j--)
        {
            var c = server[j];
            if (c == ':')
            {
                return (server[..j], server[(j + 1)..]);
            }

            if (c is < '0' or > '9')
            {
                break;
            }
        }

        return (server, "");
    }

    /// <summary>The first point whose hash is at or after <paramref name="hash"/> (the ring's length when past the last: it wraps).</summary>
    internal static int FindPoint(RingPoint[] points, uint hash)
    {
        int i = 0, j = points.Length;
        while (i < j)
        {
            var k = (i + j) / 2;
            if (hash > points[k].Hash)
            {
                i = k + 1;
            }
            else if (hash < points[k].Hash)
            {
                j = k;
            }
            else
            {
                return k;
            }
        }

        return i;
    }

    /// <summary>The peers of one server line (a name may have resolved to several addresses).</summary>
    private readonly struct OfServer(string server) : IPeerFilter
    {
        public bool Admits(UpstreamPeer peer) => string.Equals(peer.Server, server, StringComparison.Ordinal);
    }
}
