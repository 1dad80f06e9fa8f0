using System.Net;
using Microsoft.Extensions.Time.Testing;
using Sluice.Configuration;
using Sluice.Upstreams.Balancing;
using Sluice.Upstreams.Configuration;

namespace Sluice.Tests.Upstreams;

/// <summary>
/// A <c>server</c> name that resolves to several addresses is several peers, as in nginx
/// (<c>ngx_http_upstream_init_round_robin</c>): one per address, in the resolver's order, each with the line's
/// weight, max_fails, fail_timeout and max_conns, each with its own health; the group is no "single" peer;
/// consistent hash puts the line on the ring once, from its name. Names are resolved through the
/// configuration's resolver seam: no name on this machine resolves to two addresses.
/// </summary>
public sealed class MultiAddressServerTests
{
    private const string Pass = "server { listen 18080; location / { proxy_pass http://backend; } }";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Each_address_is_a_peer_with_the_lines_parameters_in_the_resolvers_order()
    {
        var group = Compile("upstream backend { server app.internal:8000 weight=3 max_fails=2 fail_timeout=30s max_conns=5; server 10.0.0.9:8000; }");
        var balancer = BalancerFactory.Create(group, _time, new Random(1));
        var peers = balancer.Peers.Peers;

        Assert.Equal(["10.0.0.1:8000", "[fd00::1]:8000", "10.0.0.9:8000"], peers.Select(p => p.Name));
        Assert.Equal(["app.internal:8000", "app.internal:8000", "10.0.0.9:8000"], peers.Select(p => p.Server));
        Assert.All(peers.Take(2), p => Assert.Equal((3, 2, 30L, 5), (p.Weight, p.MaxFails, p.FailTimeoutSeconds, p.MaxConns)));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("fd00::1"), 8000), peers[1].Address);
        Assert.NotSame(peers[0].Health, peers[1].Health);

        // Every address is a try: a request may go to all three.
        Assert.Equal(3, balancer.Begin(default).Tries);
    }

    [Fact]
    public void The_addresses_take_turns_by_weight_and_fail_on_their_own()
    {
        var group = Compile("upstream backend { server app.internal:8000 weight=2; server 10.0.0.9:8000; }");
        var balancer = BalancerFactory.Create(group, _time, new Random(1));

        // Each address has the line's weight: smooth weighted round robin over three peers of weights 2, 2, 1.
        Assert.Equal("abcababcab", string.Concat(Enumerable.Range(0, 10).Select(_ => Letter(balancer, Request(balancer)))));

        // One address failing takes only that address out; the other address of the same line still serves.
        var first = balancer.Peers.Peers[0];
        var selection = balancer.Begin(default);
        var peer = balancer.Pick(selection)!;
        while (peer != first)
        {
            balancer.Free(selection, peer, failed: false);
            selection = balancer.Begin(default);
            peer = balancer.Pick(selection)!;
        }

        balancer.Free(selection, peer, failed: true);
        var after = string.Concat(Enumerable.Range(0, 10).Select(_ => Letter(balancer, Request(balancer))));
        Assert.DoesNotContain("a", after, StringComparison.Ordinal);
        Assert.Contains("b", after, StringComparison.Ordinal);
    }

    [Fact]
    public void One_line_with_two_addresses_is_not_a_single_peer()
    {
        // nginx skips failure accounting only for a group of one address ("single"): two addresses of one line fail.
        var group = Compile("upstream backend { server app.internal:8000; }");
        var balancer = BalancerFactory.Create(group, _time, new Random(1));
        Assert.False(balancer.Peers.IsSinglePeer);
        var selection = balancer.Begin(default);
        var peer = balancer.Pick(selection)!;
        Assert.True(balancer.Free(selection, peer, failed: true));
        Assert.Equal(1, peer.FailCount);
        Assert.Equal(1, selection.Tries);
    }

    [Fact]
    public void Consistent_hash_puts_a_line_on_the_ring_once_and_its_addresses_share_its_keys()
    {
        var group = Compile("upstream backend { hash $request_uri consistent; server app.internal:8000; server 10.0.0.9:8000; }");
        var balancer = (ConsistentHashBalancer)BalancerFactory.Create(group, _time, new Random(1));

        // 160 points per line, from the name as written: the two addresses add no points of their own.
        Assert.Equal(320, balancer.Points.Count);
        Assert.Equal(160, balancer.Points.Count(p => p.Server == "app.internal:8000"));

        // The keys of the line go to both of its addresses (round robin between them), never to the other line.
        var keys = Enumerable.Range(0, 400).Select(i => $"/item/{i}").Where(k => Server(balancer, k) == "app.internal:8000").ToList();
        var addresses = keys.Select(k => Request(balancer, new BalancerRequest(k, null))!.Name).Distinct().Order().ToList();
        Assert.Equal(["10.0.0.1:8000", "[fd00::1]:8000"], addresses);
    }

    [Fact]
    public void An_implicit_group_from_proxy_pass_has_a_peer_per_address()
    {
        var (_, compiler) = ConfigCompilerProbe.CompileHttp("server { listen 18080; location / { proxy_pass http://app.internal:8000; } }", new TwoAddresses());
        var group = compiler.State<UpstreamRegistry>().Groups.Single(g => g.Name == "app.internal");
        var balancer = BalancerFactory.Create(group, _time, new Random(1));
        Assert.Equal(["10.0.0.1:8000", "[fd00::1]:8000"], balancer.Peers.Peers.Select(p => p.Name));
    }

    private static UpstreamGroup Compile(string upstream)
    {
        var (_, compiler) = ConfigCompilerProbe.CompileHttp(upstream + "\n" + Pass, new TwoAddresses());
        return compiler.State<UpstreamRegistry>().Groups.Single(g => g.Name == "backend");
    }

    private static UpstreamPeer? Request(IUpstreamBalancer balancer, BalancerRequest request = default)
    {
        var selection = balancer.Begin(request);
        var peer = balancer.Pick(selection);
        if (peer is not null)
        {
            balancer.Free(selection, peer, failed: false);
        }

        return peer;
    }

    private static string Server(ConsistentHashBalancer balancer, string key) => Request(balancer, new BalancerRequest(key, null))!.Server;

    /// <summary>a, b, c … by the peer's place in the group.</summary>
    private static string Letter(IUpstreamBalancer balancer, UpstreamPeer? peer) =>
        ((char)('a' + Array.IndexOf(balancer.Peers.Peers, peer))).ToString();

    /// <summary>app.internal is 10.0.0.1 and fd00::1 (IPv4 first, as nginx orders them); literals are themselves.</summary>
    private sealed class TwoAddresses : IHostResolver
    {
        public IReadOnlyList<IPAddress> Resolve(string host) =>
            host == "app.internal" ? [IPAddress.Parse("10.0.0.1"), IPAddress.Parse("fd00::1")]
            : IPAddress.TryParse(host, out var literal) ? [literal]
            : [];
    }
}
