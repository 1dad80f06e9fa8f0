using System.Net;
using Sluice.Configuration;
using Sluice.Configuration.Values;
using Sluice.Proxy.Runtime;
using Sluice.Upstreams.Balancing;
using Sluice.Upstreams.Configuration;
using Sluice.Upstreams.Runtime;

namespace Sluice.Tests.Proxy;

/// <summary>
/// proxy_pass with variables, the way nginx 1.22's ngx_http_proxy_eval and ngx_http_upstream_init_request take an
/// evaluated URL: a group of that name and port, an address as a single peer of its own, or nothing. The
/// differential tests (ProxyVariableTargetDifferentialTests) hold the same cases against nginx itself.
/// </summary>
public sealed class VariablePassTargetsTests
{
    private static readonly UpstreamTarget Backend = Target(new UpstreamGroup(
        "backend", 0, IsBlock: true, [Server("127.0.0.1:9001")], BalancingMethod.RoundRobin, null, null, default));

    /// <summary>An implicit group a static <c>proxy_pass http://127.0.0.1:9002</c> made.</summary>
    private static readonly UpstreamTarget Implicit = Target(new UpstreamGroup(
        "127.0.0.1", 9002, IsBlock: false, [Server("127.0.0.1:9002")], BalancingMethod.RoundRobin, null, null, default));

    private static VariablePassTargets Targets(int maxCached = VariablePassTargets.MaxCached) =>
        new([(Backend.Runtime.Group, Backend), (Implicit.Runtime.Group, Implicit)], TimeProvider.System, new Random(1), maxCached);

    [Theory]
    [InlineData("http://127.0.0.1:8080", "127.0.0.1:8080", "127.0.0.1:8080", "8080", null)]
    [InlineData("http://127.0.0.1:8080/p?q=1", "127.0.0.1:8080", "127.0.0.1:8080", "8080", "/p?q=1")]
    [InlineData("http://127.0.0.1:8080?q=1", "127.0.0.1:8080", "127.0.0.1:8080", "8080", "/?q=1")]
    [InlineData("http://127.0.0.1", "127.0.0.1:80", "127.0.0.1", "80", null)]
    [InlineData("http://127.0.0.1:80/", "127.0.0.1:80", "127.0.0.1", "80", "/")]
    [InlineData("HTTP://127.000.0.01:08080", "127.0.0.1:8080", "127.000.0.01:08080", "08080", null)]
    [InlineData("http://[::1]:8080/x", "[::1]:8080", "[::1]:8080", "8080", "/x")]
    [InlineData("http://[0:0::1]", "[::1]:80", "[0:0::1]", "80", null)]
    [InlineData("http://[::ffff:127.0.0.1]:8080", "[::ffff:127.0.0.1]:8080", "[::ffff:127.0.0.1]:8080", "8080", null)]
    [InlineData("https://127.0.0.1:443", "127.0.0.1:443", "127.0.0.1", "443", null)]
    [InlineData("http://unix:/run/app.sock:/api", "unix:/run/app.sock", "localhost", "", "/api")]
    [InlineData("http://unix:/run/app.sock", "unix:/run/app.sock", "localhost", "", null)]
    public void An_address_is_a_single_peer_of_its_own(string url, string peer, string proxyHost, string proxyPort, string? uri)
    {
        var target = Targets().Resolve(url);
        Assert.Null(target.Error);
        var peers = ((BalancerBase)target.Upstream!.Runtime.Balancer).Peers;
        Assert.True(peers.IsSinglePeer);
        Assert.Equal(peer, peers.Peers[0].Name);
        Assert.Null(target.Upstream.Runtime.Keepalive);
        Assert.Equal((proxyHost, proxyPort, uri), (target.ProxyHost, target.ProxyPort, target.Uri));
    }

    [Theory]
    [InlineData("http://backend", "backend", "80", null)]
    [InlineData("http://BACKEND/u?a", "BACKEND", "80", "/u?a")]
    public void A_block_is_named_without_a_port(string url, string proxyHost, string proxyPort, string? uri)
    {
        var target = Targets().Resolve(url);
        Assert.Same(Backend, target.Upstream);
        Assert.Equal((proxyHost, proxyPort, uri), (target.ProxyHost, target.ProxyPort, target.Uri));
    }

    [Fact]
    public void An_implicit_group_is_found_by_host_and_port()
    {
        var targets = Targets();
        Assert.Same(Implicit, targets.Resolve("http://127.0.0.1:9002/x").Upstream);
        Assert.NotSame(Implicit, targets.Resolve("http://127.0.0.1:9003/x").Upstream);
    }

    [Theory]
    [InlineData("http://backend:80", 502, "no resolver defined to resolve backend", "backend", "80")]
    [InlineData("http://backend:9001", 502, "no resolver defined to resolve backend", "backend:9001", "9001")]
    [InlineData("http://localhost:9001/x", 502, "no resolver defined to resolve localhost", "localhost:9001", "9001")]
    [InlineData("http://256.0.0.1", 502, "no resolver defined to resolve 256.0.0.1", "256.0.0.1", "80")]
    [InlineData("http://1.2.3", 502, "no resolver defined to resolve 1.2.3", "1.2.3", "80")]
    [InlineData("http://", 500, "invalid URL prefix in \"http://\"", "", "")]
    [InlineData("ftp://127.0.0.1", 500, "invalid URL prefix in \"ftp://127.0.0.1\"", "", "")]
    [InlineData("http://127.0.0.1:0", 500, "invalid port in upstream \"127.0.0.1:0\"", "", "")]
    [InlineData("http://127.0.0.1:65536", 500, "invalid port in upstream \"127.0.0.1:65536\"", "", "")]
    [InlineData("http://127.0.0.1:80:1", 500, "invalid port in upstream \"127.0.0.1:80:1\"", "", "")]
    [InlineData("http://:80", 500, "no host in upstream \":80\"", "", "")]
    [InlineData("http://[::1", 500, "invalid host in upstream \"[::1\"", "", "")]
    [InlineData("http://[::1]x", 500, "invalid host in upstream \"[::1]x\"", "", "")]
    [InlineData("http://[zz]:80", 500, "invalid IPv6 address in upstream \"[zz]:80\"", "", "")]
    public void Nothing_else_is_reached(string url, int status, string error, string proxyHost, string proxyPort)
    {
        var target = Targets().Resolve(url);
        Assert.Null(target.Upstream);
        Assert.Equal((status, error, proxyHost, proxyPort), (target.ErrorStatus, target.Error, target.ProxyHost, target.ProxyPort));
    }

    [Theory]
    [InlineData("127.0.0.1:8080/p?q")]
    [InlineData("127.0.0.1?q/r")]
    [InlineData("host:1/a:b")]
    [InlineData("[::1]:8080/x?y")]
    [InlineData("[::1]?x")]
    [InlineData("unix:/s.sock:/a:b")]
    [InlineData("unix:/s.sock")]
    [InlineData("127.0.0.1")]
    public void The_address_ends_where_ngx_parse_url_starts_the_uri(string rest)
    {
        // The cache key is found by a scan on every request; it must cut where the parser of a miss cuts.
        var parsed = NginxUrl.Parse(rest, new UrlParseOptions { UriPart = true, NoResolve = true, DefaultPort = 80 }, LiteralHostResolver.Instance);
        var end = VariablePassTargets.AddressLength(rest);
        var uri = parsed.IsUnix ? rest[Math.Min(rest.Length, end + 1)..] : rest[end..];
        Assert.Equal(parsed.Ok ? parsed.Uri : uri, uri);
    }

    [Fact]
    public void An_address_is_resolved_once_and_its_peer_shared()
    {
        var targets = Targets();
        var first = targets.Resolve("http://127.0.0.1:8080/a");
        var second = targets.Resolve("http://127.0.0.1:8080/b?c");
        Assert.Same(first.Upstream, second.Upstream);
        Assert.Equal("/b?c", second.Uri);
        Assert.Same(targets.Resolve("http://backend/x").Upstream, targets.Resolve("http://backend").Upstream);

        // Another spelling of the same address is another entry (its $proxy_host differs).
        Assert.NotSame(first.Upstream, targets.Resolve("http://127.0.0.1:08080").Upstream);
        Assert.Equal(3, targets.Cached);

        // Failures are not kept: a name nginx cannot resolve is not an address.
        targets.Resolve("http://elsewhere:8080");
        Assert.Equal(3, targets.Cached);
    }

    [Fact]
    public void Past_the_bound_an_address_gets_a_peer_per_request()
    {
        var targets = Targets(maxCached: 2);
        targets.Resolve("http://127.0.0.1:8001");
        targets.Resolve("http://127.0.0.1:8002");
        var third = targets.Resolve("http://127.0.0.1:8003");
        var again = targets.Resolve("http://127.0.0.1:8003");
        Assert.Equal(2, targets.Cached);
        Assert.NotSame(third.Upstream, again.Upstream);
        Assert.Equal("127.0.0.1:8003", ((BalancerBase)again.Upstream!.Runtime.Balancer).Peers.Peers[0].Name);

        // The cached ones stay.
        Assert.Same(targets.Resolve("http://127.0.0.1:8001").Upstream, targets.Resolve("http://127.0.0.1:8001/x").Upstream);
    }

    [Fact]
    public void The_single_peer_never_counts_a_failure()
    {
        var balancer = Targets().Resolve("http://127.0.0.1:8080").Upstream!.Runtime.Balancer;
        for (var i = 0; i < 3; i++)
        {
            var selection = balancer.Begin(default);
            var peer = balancer.Pick(selection);
            Assert.NotNull(peer);
            Assert.False(balancer.Free(selection, peer, failed: true));
            Assert.Equal(0, selection.Tries);
            Assert.Equal(0, peer.FailCount);
        }
    }

    private static UpstreamServer Server(string address) =>
        new(address, [IPEndPoint.Parse(address)], 1, 1, TimeSpan.FromSeconds(10), 0, false, false);

    private static UpstreamTarget Target(UpstreamGroup group) =>
        new(new UpstreamRuntime(group, BalancerFactory.Create(group, TimeProvider.System, new Random(1)), TimeProvider.System), null);
}
