using Sluice.Upstreams.Balancing;
using static Sluice.Tests.Upstreams.BalancerTestKit;

namespace Sluice.Tests.Upstreams;

/// <summary>nginx's smooth weighted round robin and the passive health state machine every method shares.</summary>
public sealed class RoundRobinBalancerTests
{
    private readonly BalancerTestKit _kit = new();

    [Theory]
    [InlineData(new[] { 1, 1, 1 }, "abcabcabc")]
    [InlineData(new[] { 5, 1, 1 }, "aabacaaaabacaa")]
    [InlineData(new[] { 3, 2, 1 }, "abacbaabacba")]
    [InlineData(new[] { 1, 2 }, "babbab")]
    public void Weights_give_nginx_smooth_order(int[] weights, string expected)
    {
        var balancer = new RoundRobinBalancer(Set([.. weights.Select((w, i) => Peer(i, weight: w))]), _kit.Time);
        Assert.Equal(expected, Sequence(balancer, expected.Length));
    }

    [Fact]
    public void Down_and_draining_peers_take_no_requests_and_no_tries()
    {
        var balancer = new RoundRobinBalancer(Set(Peer(0), Peer(1, down: true), Peer(2, drain: true), Peer(3)), _kit.Time);
        Assert.Equal("adadad", Sequence(balancer, 6));

        // nginx's tries count the peers that are not down; a draining peer still counts (it is not "down").
        Assert.Equal(3, balancer.Begin(default).Tries);
    }

    [Fact]
    public void Max_fails_within_fail_timeout_takes_a_peer_out_then_one_trial_brings_it_back()
    {
        var a = Peer(0, maxFails: 2, failTimeout: 10);
        var balancer = new RoundRobinBalancer(Set(a, Peer(1, maxFails: 2, failTimeout: 10)), _kit.Time);

        // Two failed attempts on a (each request then succeeds on b).
        var failingA = (UpstreamPeer p) => p != a;
        while (a.FailCount < 2)
        {
            Failover(balancer, failingA);
        }

        Assert.DoesNotContain("a", Sequence(balancer, 20));

        // fail_timeout is counted in whole seconds and "<=": at exactly 10 s the peer is still out.
        _kit.Advance(10);
        Assert.DoesNotContain("a", Sequence(balancer, 20));

        // After it, one trial request reaches a; while it is in flight nobody else is sent there.
        _kit.Advance(1);
        var (trial, trialPeer) = PickUntil(balancer, a);
        Assert.DoesNotContain("a", Sequence(balancer, 20));

        // The trial fails: out for another fail_timeout.
        balancer.Free(trial, trialPeer, failed: true);
        Assert.DoesNotContain("a", Sequence(balancer, 20));
        _kit.Advance(11);

        // The next trial succeeds: a is live again and back in rotation.
        (trial, trialPeer) = PickUntil(balancer, a);
        balancer.Free(trial, trialPeer, failed: false);
        Assert.Equal(0, a.FailCount);
        Assert.Equal(10, Sequence(balancer, 20).Count(c => c == 'a'));
    }

    [Fact]
    public void A_success_in_a_new_window_forgives_earlier_failures()
    {
        var a = Peer(0, maxFails: 2, failTimeout: 10);
        var balancer = new RoundRobinBalancer(Set(a, Peer(1, maxFails: 2, failTimeout: 10)), _kit.Time);
        Failover(balancer, p => p != a);
        Assert.Equal(1, a.FailCount);

        // The next pick after fail_timeout opens a new window; a success in it resets the count.
        _kit.Advance(11);
        Sequence(balancer, 2);
        Assert.Equal(0, a.FailCount);
        Failover(balancer, p => p != a);
        Assert.Contains("a", Sequence(balancer, 4));
    }

    [Fact]
    public void Failures_without_a_success_between_them_add_up_across_windows()
    {
        // nginx resets fails only on a success: two failures 11 s apart still reach max_fails=2.
        var a = Peer(0, maxFails: 2, failTimeout: 10);
        var balancer = new RoundRobinBalancer(Set(a, Peer(1, maxFails: 2, failTimeout: 10)), _kit.Time);
        Failover(balancer, p => p != a);
        _kit.Advance(11);
        while (a.FailCount < 2)
        {
            Failover(balancer, p => p != a);
        }

        Assert.DoesNotContain("a", Sequence(balancer, 10));
    }

    [Fact]
    public void Free_reports_when_a_failure_disables_the_peer()
    {
        var a = Peer(0, maxFails: 2);
        var balancer = new RoundRobinBalancer(Set(a, Peer(1)), _kit.Time);
        var first = balancer.Begin(default);
        Assert.Same(a, balancer.Pick(first));
        Assert.False(balancer.Free(first, a, failed: true));
        var (second, peer) = PickUntil(balancer, a);
        Assert.True(balancer.Free(second, peer, failed: true));
    }

    [Fact]
    public void Max_fails_zero_never_disables()
    {
        var a = Peer(0, maxFails: 0);
        var balancer = new RoundRobinBalancer(Set(a, Peer(1)), _kit.Time);
        for (var i = 0; i < 10; i++)
        {
            Failover(balancer, p => p != a);
        }

        Assert.Contains("a", Sequence(balancer, 2));
    }

    [Fact]
    public void Backups_serve_only_while_no_primary_is_available()
    {
        var a = Peer(0);
        var b = Peer(1);
        var balancer = new RoundRobinBalancer(WithBackup(Set(a, b), Peer(2), Peer(3)), _kit.Time);
        Assert.Equal("abab", Sequence(balancer, 4));

        // Every primary fails once (max_fails=1): the request moves to the backups, which then serve alone.
        Assert.Equal("abc", Failover(balancer, p => p.Name.EndsWith("8003", StringComparison.Ordinal)));
        Assert.Equal("dcdc", Sequence(balancer, 4));

        // Once fail_timeout is over the primaries serve again.
        _kit.Advance(11);
        Assert.True(Request(balancer) is "a" or "b");
    }

    [Fact]
    public void Every_peer_failed_means_no_live_upstreams()
    {
        var balancer = new RoundRobinBalancer(Set(Peer(0), Peer(1)), _kit.Time);
        Assert.Equal("ab", Failover(balancer, _ => false));
        Assert.Equal("-", Request(balancer));
    }

    [Fact]
    public void Max_conns_limits_concurrent_requests_per_peer()
    {
        var balancer = new RoundRobinBalancer(Set(Peer(0, maxConns: 1), Peer(1, maxConns: 2)), _kit.Time);
        var held = Enumerable.Range(0, 3).Select(_ =>
        {
            var s = balancer.Begin(default);
            return (s, balancer.Pick(s));
        }).ToList();
        Assert.Equal("abb", string.Concat(held.Select(h => Letter(h.Item2))));
        Assert.Equal("-", Request(balancer));

        balancer.Free(held[0].s, held[0].Item2!, failed: false);
        Assert.Equal("a", Request(balancer));
    }

    [Fact]
    public void A_single_peer_has_no_failure_accounting()
    {
        var a = Peer(0, maxFails: 1);
        var balancer = new RoundRobinBalancer(Set(a), _kit.Time);
        var selection = balancer.Begin(default);
        Assert.Same(a, balancer.Pick(selection));
        balancer.Free(selection, a, failed: true);
        Assert.Equal(0, a.FailCount);
        Assert.Equal(0, selection.Tries);
        Assert.Equal("a", Request(balancer));
    }

    [Fact]
    public void Health_shared_with_the_next_generation_keeps_connections_and_failures()
    {
        var registry = new PeerHealthRegistry();
        var group = registry.For("backend");
        var oldA = new UpstreamPeer(Peer(0, maxFails: 1).Options(), group.Peer("a"));
        var old = new RoundRobinBalancer(new PeerSet("backend", [oldA, new UpstreamPeer(Peer(1).Options(), group.Peer("b"))], false, group.Lock), _kit.Time);
        var inFlight = old.Begin(default);
        Assert.Same(oldA, old.Pick(inFlight));

        // The reloaded group: same peers, the same health objects.
        var newA = new UpstreamPeer(Peer(0, maxFails: 1).Options(), group.Peer("a"));
        var reloaded = new RoundRobinBalancer(new PeerSet("backend", [newA, new UpstreamPeer(Peer(1).Options(), group.Peer("b"))], false, group.Lock), _kit.Time);
        Assert.Equal(1, newA.ActiveConnections);

        // The old generation's request fails: the new generation no longer sends requests there.
        old.Free(inFlight, oldA, failed: true);
        Assert.Equal(0, newA.ActiveConnections);
        Assert.Equal("bbb", Sequence(reloaded, 3));
    }

    /// <summary>Requests (freed at once, successfully) until one lands on <paramref name="target"/>, which is kept in flight.</summary>
    private static (PeerSelection, UpstreamPeer) PickUntil(RoundRobinBalancer balancer, UpstreamPeer target)
    {
        for (var i = 0; i < 100; i++)
        {
            var selection = balancer.Begin(default);
            var peer = balancer.Pick(selection)!;
            if (peer == target)
            {
                return (selection, peer);
            }

            balancer.Free(selection, peer, failed: false);
        }

        throw new InvalidOperationException($"{target} was never picked");
    }
}

internal static class PeerOptionsExtensions
{
    public static UpstreamPeerOptions Options(this UpstreamPeer peer) =>
        new(peer.Name, peer.Address, peer.Server, peer.Weight, peer.MaxFails, TimeSpan.FromSeconds(peer.FailTimeoutSeconds), peer.MaxConns, peer.Down, peer.Drain);
}
