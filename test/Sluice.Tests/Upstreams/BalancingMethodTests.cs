using System.Net;
using System.Text;
using Sluice.Upstreams.Balancing;
using static Sluice.Tests.Upstreams.BalancerTestKit;

namespace Sluice.Tests.Upstreams;

/// <summary>least_conn, ip_hash, hash, hash consistent and random, with a fake clock and scripted randomness.</summary>
public sealed class BalancingMethodTests
{
    private readonly BalancerTestKit _kit = new();

    [Fact]
    public void Least_conn_picks_the_fewest_connections_and_round_robin_among_equals()
    {
        var balancer = new LeastConnBalancer(Set(Peer(0), Peer(1), Peer(2)), _kit.Time);

        // Nothing in flight: equals everywhere, so weighted round robin over all of them.
        Assert.Equal("abcabc", Sequence(balancer, 6));

        // a and b hold a request: c is the least loaded.
        var held = Hold(balancer, 2);
        Assert.Equal("ab", Letters(held));
        Assert.Equal("ccc", Sequence(balancer, 3));
        var third = Hold(balancer, 1);
        Assert.Equal("c", Letters(third));

        // All at one: equals again, and round robin goes on from the weights it had (c was picked
        // without a round-robin step while it alone was least loaded, so it is furthest ahead): c, then
        // b between the least loaded a and b, then a.
        Assert.Equal("cba", Letters(Hold(balancer, 3)));
    }

    [Fact]
    public void Least_conn_weighs_connections_by_weight()
    {
        var balancer = new LeastConnBalancer(Set(Peer(0, weight: 2), Peer(1)), _kit.Time);
        var held = Hold(balancer, 3);

        // Both idle → round robin, a (weight 2) first; then b (0/1 < 1/2); then a (1/2 < 1/1).
        Assert.Equal("aba", Letters(held));
        Assert.Equal(2, held[0].Peer!.ActiveConnections);
    }

    [Fact]
    public void Least_conn_falls_back_to_backups()
    {
        var balancer = new LeastConnBalancer(WithBackup(Set(Peer(0, maxConns: 1)), Peer(1)), _kit.Time);
        Assert.Equal("ab", Letters(Hold(balancer, 2)));
    }

    [Fact]
    public void Ip_hash_uses_the_first_three_octets_of_ipv4()
    {
        var balancer = new IpHashBalancer(Set(Peer(0), Peer(1), Peer(2)), _kit.Time);

        // 89 → (89·113+192)%6271 = 3978 → (3978·113+168)%6271 = 4441 → (4441·113+1)%6271 = 154; 154 % 3 = 1.
        Assert.Equal("b", Request(balancer, Client("192.168.1.100")));
        Assert.Equal("bbbb", Sequence(balancer, 4, i => Client($"192.168.1.{i * 50}")));
        Assert.Equal(Request(balancer, Client("10.1.2.3")), Request(balancer, Client("10.1.2.250")));

        // An IPv4-mapped IPv6 client is the IPv4 client nginx would see on its IPv4 socket.
        Assert.Equal("b", Request(balancer, new BalancerRequest(null, IPAddress.Parse("192.168.1.7").MapToIPv6())));
    }

    [Fact]
    public void Ip_hash_uses_all_sixteen_bytes_of_ipv6()
    {
        var balancer = new IpHashBalancer(Set(Peer(0), Peer(1), Peer(2), Peer(3), Peer(4)), _kit.Time);
        var expected = Expected(IPAddress.Parse("2001:db8::1").GetAddressBytes(), 5);
        Assert.Equal(expected, Request(balancer, Client("2001:db8::1")));

        var picks = Enumerable.Range(1, 40).Select(i => Request(balancer, Client($"2001:db8::{i:x}"))).Distinct().Count();
        Assert.True(picks > 1, "the last bytes of an IPv6 address count");
    }

    [Fact]
    public void Ip_hash_rehashes_past_an_unavailable_peer_and_weights_widen_the_line()
    {
        var b = Peer(1, down: true);
        var balancer = new IpHashBalancer(Set(Peer(0), b, Peer(2)), _kit.Time);
        var address = IPAddress.Parse("192.168.1.100").GetAddressBytes();

        // 154 lands on b, which is down: the hash keeps running from 154 over the same three bytes.
        uint hash = 154;
        foreach (var octet in address[..3])
        {
            hash = ((hash * 113) + octet) % 6271;
        }

        Assert.Equal(((char)('a' + (int)(hash % 3))).ToString(), Request(balancer, Client("192.168.1.100")));

        var weighted = new IpHashBalancer(Set(Peer(0, weight: 3), Peer(1)), _kit.Time);
        Assert.Equal(154 % 4 < 3 ? "a" : "b", Request(weighted, Client("192.168.1.100")));
    }

    [Theory]
    [InlineData(21, "b")]
    [InlineData(20, "c")]
    public void Ip_hash_falls_back_to_round_robin_after_twenty_misses(int misses, string expected)
    {
        // a (down) holds 18 of the 20 points of the weight line, b point 18, c point 19. A client whose hash
        // lands on a `misses` times and then on c: after 21 misses nginx asks round robin (which takes b, the
        // first of the available), after 20 the 21st hash still decides (c).
        var balancer = new IpHashBalancer(Set(Peer(0, weight: 18, down: true), Peer(1), Peer(2)), _kit.Time);
        var client = Enumerable.Range(0, 65536)
            .Select(i => IPAddress.Parse($"10.{i >> 8}.{i & 255}.1"))
            .First(address => HashWalk(address, misses + 1) == new string('a', misses) + "c");
        Assert.Equal(expected, Request(balancer, new BalancerRequest(null, client)));
    }
    [Fact]
    public void Hash_is_the_memcached_crc32_of_the_key()
    {
        var balancer = new HashBalancer(Set(Peer(0), Peer(1), Peer(2)), _kit.Time);

        // crc32("abc") = 0x352441C2; (>> 16) & 0x7fff = 0x3524 = 13604; 13604 % 3 = 2.
        Assert.Equal("c", Request(balancer, Key("abc")));
        Assert.Equal(Request(balancer, Key("/some/uri?x=1")), Request(balancer, Key("/some/uri?x=1")));
    }

    [Fact]
    public void Hash_rehashes_with_the_attempt_number_before_the_key()
    {
        var balancer = new HashBalancer(Set(Peer(0), Peer(1), Peer(2, down: true)), _kit.Time);
        Assert.Equal(13604u, HashBalancer.KeyHash(new byte[64], "abc", 0));
        Assert.Equal((System.IO.Hashing.Crc32.HashToUInt32("1abc"u8) >> 16) & 0x7fff, HashBalancer.KeyHash(new byte[64], "abc", 1));

        // 13604 % 3 lands on c, which is down: the sum goes on with crc32("1abc"), crc32("2abc") … until a or b.
        uint sum = 0;
        var index = 2;
        for (uint rehash = 0; index == 2; rehash++)
        {
            sum += (System.IO.Hashing.Crc32.HashToUInt32(Encoding.UTF8.GetBytes((rehash > 0 ? rehash.ToString(System.Globalization.CultureInfo.InvariantCulture) : "") + "abc")) >> 16) & 0x7fff;
            index = (int)(sum % 3);
        }

        Assert.Equal(((char)('a' + index)).ToString(), Request(balancer, Key("abc")));
    }

    [Fact]
    public void Hash_with_an_empty_key_is_round_robin()
    {
        var balancer = new HashBalancer(Set(Peer(0), Peer(1), Peer(2)), _kit.Time);
        Assert.Equal("abcabc", Sequence(balancer, 6, _ => Key("")));
    }

    [Fact]
    public void Consistent_hash_ring_has_160_points_per_weight_from_the_server_names()
    {
        var balancer = new ConsistentHashBalancer(Set(Peer(0), Peer(1, weight: 2)), _kit.Time);
        Assert.Equal(480, balancer.Points.Count);

        // The first point of a server is crc32("HOST\0PORT" + four zero bytes).
        var first = System.IO.Hashing.Crc32.HashToUInt32([.. "127.0.0.1\08001"u8, 0, 0, 0, 0]);
        Assert.Contains(balancer.Points, p => p.Hash == first && p.Server == "127.0.0.1:8001");
        Assert.True(balancer.Points.Zip(balancer.Points.Skip(1)).All(p => p.First.Hash < p.Second.Hash));

        Assert.Equal(("127.0.0.1", "8001"), ConsistentHashBalancer.SplitServer("127.0.0.1:8001"));
        Assert.Equal(("app-1.internal", ""), ConsistentHashBalancer.SplitServer("app-1.internal"));
        Assert.Equal(("/tmp/app.sock", ""), ConsistentHashBalancer.SplitServer("unix:/tmp/app.sock"));
        Assert.Equal(("[::1]", "8001"), ConsistentHashBalancer.SplitServer("[::1]:8001"));
    }

    [Fact]
    public void Consistent_hash_maps_a_key_to_the_first_point_at_or_after_its_crc32()
    {
        var balancer = new ConsistentHashBalancer(Set(Peer(0), Peer(1), Peer(2)), _kit.Time);
        var points = balancer.Points;
        foreach (var key in new[] { "/a", "/b", "user-42", "" + (char)0x7f })
        {
            var hash = System.IO.Hashing.Crc32.HashToUInt32(Encoding.UTF8.GetBytes(key));
            var point = points.FirstOrDefault(p => p.Hash >= hash);
            var server = (point == default ? points[0] : point).Server;
            Assert.Equal(server, Pick(balancer, Key(key))!.Server);
        }
    }

    [Fact]
    public void Consistent_hash_moves_only_the_keys_of_a_removed_server()
    {
        var all = new ConsistentHashBalancer(Set(Peer(0), Peer(1), Peer(2), Peer(3)), _kit.Time);
        var fewer = new ConsistentHashBalancer(Set(Peer(0), Peer(1), Peer(3)), _kit.Time);
        var keys = Enumerable.Range(0, 1000).Select(i => $"/item/{i}").ToList();
        var before = keys.ToDictionary(k => k, k => Request(all, Key(k)));
        var after = keys.ToDictionary(k => k, k => Request(fewer, Key(k)));

        Assert.All(keys.Where(k => before[k] != "c"), k => Assert.Equal(before[k], after[k]));
        Assert.All(keys, k => Assert.NotEqual("c", after[k]));

        // And the ring spreads keys: every server gets a fair share.
        Assert.All(before.Values.GroupBy(v => v), g => Assert.InRange(g.Count(), 150, 350));
    }

    [Fact]
    public void Consistent_hash_walks_the_ring_past_an_unavailable_server()
    {
        var balancer = new ConsistentHashBalancer(Set(Peer(0), Peer(1, down: true), Peer(2)), _kit.Time);
        var keys = Enumerable.Range(0, 200).Select(i => $"k{i}");
        Assert.All(keys, k => Assert.NotEqual("b", Request(balancer, Key(k))));
    }

    [Fact]
    public void Random_draws_by_weight()
    {
        // Total weight 4: draws 0-2 are a (weight 3), 3 is b.
        var random = new ScriptedRandom(0, 2, 3, 1, 3);
        var balancer = new RandomBalancer(Set(Peer(0, weight: 3), Peer(1)), _kit.Time, random, two: false);
        Assert.Equal("aabab", Sequence(balancer, 5));
        Assert.Equal([4, 4, 4, 4, 4], random.Maxima);
    }

    [Fact]
    public void Random_redraws_an_unavailable_peer()
    {
        var balancer = new RandomBalancer(Set(Peer(0, down: true), Peer(1), Peer(2)), _kit.Time, new ScriptedRandom(0, 0, 2), two: false);
        Assert.Equal("c", Request(balancer));
    }

    [Theory]
    [InlineData(21, "b")]
    [InlineData(20, "c")]
    public void Random_falls_back_to_round_robin_after_twenty_misses(int misses, string expected)
    {
        // Draws of a (down) `misses` times, then c: after 21 misses round robin decides (b, the first available);
        // had the draws gone on, the next one would have chosen c. The script has no draw beyond those.
        var draws = Enumerable.Repeat(0, misses).Append(2).ToArray();
        var balancer = new RandomBalancer(Set(Peer(0, down: true), Peer(1), Peer(2)), _kit.Time, new ScriptedRandom(draws), two: false);
        Assert.Equal(expected, Request(balancer));
    }

    [Theory]
    [InlineData(20, "b")]
    [InlineData(19, "c")]
    public void Random_two_falls_back_to_round_robin_after_twenty_draws_that_decide_nothing(int misses, string expected)
    {
        // a (down) drawn `misses` times, then b, then c. The draw of b is the 21st that does not decide (it only
        // becomes the first of the two) when a was drawn 20 times: round robin takes b. After 19, c is drawn as
        // the second and wins the tie, as in nginx.
        var draws = Enumerable.Repeat(0, misses).Append(1).Append(2).ToArray();
        var balancer = new RandomBalancer(Set(Peer(0, down: true), Peer(1), Peer(2)), _kit.Time, new ScriptedRandom(draws), two: true);
        Assert.Equal(expected, Request(balancer));
    }

    [Fact]
    public void Random_two_takes_the_less_loaded_of_two_distinct_draws()
    {
        var balancer = new RandomBalancer(Set(Peer(0), Peer(1), Peer(2)), _kit.Time, new ScriptedRandom(0, 2, 0, 0, 1, 2, 1, 1, 0), two: true);

        // a then c, both idle: on a tie the second draw wins.
        Assert.Equal("c", Letters(Hold(balancer, 1)));

        // a twice (a peer is not compared with itself), then b: both idle → b.
        Assert.Equal("b", Letters(Hold(balancer, 1)));

        // c then b, one request each → b; then b (two) and a (none) → a.
        Assert.Equal("b", Letters(Hold(balancer, 1)));
        Assert.Equal("a", Letters(Hold(balancer, 1)));
    }

    private static BalancerRequest Client(string address) => new(null, IPAddress.Parse(address));

    private static BalancerRequest Key(string key) => new(key, null);

    private static UpstreamPeer? Pick(ConsistentHashBalancer balancer, BalancerRequest request)
    {
        var selection = balancer.Begin(request);
        var peer = balancer.Pick(selection);
        if (peer is not null)
        {
            balancer.Free(selection, peer, failed: false);
        }

        return peer;
    }

    private static List<(PeerSelection Selection, UpstreamPeer? Peer)> Hold(IUpstreamBalancer balancer, int count) =>
        [.. Enumerable.Range(0, count).Select(_ =>
        {
            var selection = balancer.Begin(default);
            return (selection, balancer.Pick(selection));
        })];

    private static string Letters(IEnumerable<(PeerSelection Selection, UpstreamPeer? Peer)> held) => string.Concat(held.Select(h => Letter(h.Peer)));

    /// <summary>
    /// The peers nginx's ip_hash lands on for <paramref name="client"/> in its first <paramref name="count"/>
    /// hashes over the group of <see cref="Ip_hash_falls_back_to_round_robin_after_twenty_misses"/> (weights
    /// 18, 1, 1: points 0-17 are a, 18 b, 19 c), whether available or not.
    /// </summary>
    private static string HashWalk(IPAddress client, int count)
    {
        var octets = client.GetAddressBytes()[..3];
        uint hash = 89;
        var walk = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            foreach (var octet in octets)
            {
                hash = ((hash * 113) + octet) % 6271;
            }

            var point = hash % 20;
            walk.Append(point < 18 ? 'a' : point == 18 ? 'b' : 'c');
        }

        return walk.ToString();
    }

    /// <summary>nginx's ip_hash by its definition, for an address that hits an available peer at once.</summary>
    private static string Expected(byte[] address, int peers)
    {
        uint hash = 89;
        foreach (var b in address)
        {
            hash = ((hash * 113) + b) % 6271;
        }

        return ((char)('a' + (int)(hash % (uint)peers))).ToString();
    }

    /// <summary>Returns the scripted draws in order and records the bound asked for.</summary>
    private sealed class ScriptedRandom(params int[] draws) : Random
    {
        private int _next;

        public List<int> Maxima { get; } = [];

        public override int Next(int maxValue)
        {
            Maxima.Add(maxValue);
            return draws[_next++];
        }
    }
}
