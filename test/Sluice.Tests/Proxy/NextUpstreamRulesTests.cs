using Sluice.Proxy.Configuration;
using Sluice.Proxy.Runtime;
using Sluice.Tests.Upstreams;
using Sluice.Upstreams.Balancing;
using static Sluice.Tests.Upstreams.BalancerTestKit;

namespace Sluice.Tests.Proxy;

/// <summary>
/// When an attempt counts against its peer, as in nginx 1.22 (ngx_http_upstream_test_next, ngx_http_upstream_next):
/// a status proxy_next_upstream names is a failure only when the next peer is really tried; errors and
/// timeouts always are; 403 and 404 pass a peer over without a failure; an error on a cached connection gives
/// its try back. Peers have max_fails=1 and fail_timeout=10 s on a fake clock, so "counted" means "out".
/// </summary>
public sealed class NextUpstreamRulesTests
{
    private const NextUpstreamConditions Default = NextUpstreamConditions.Error | NextUpstreamConditions.Timeout;
    private const NextUpstreamConditions With502 = Default | NextUpstreamConditions.Http502;

    private readonly BalancerTestKit _kit = new();

    [Fact]
    public void A_status_named_by_proxy_next_upstream_fails_the_peer_and_moves_on_while_tries_are_left()
    {
        var (balancer, a, b) = TwoPeers();
        var selection = balancer.Begin(default);
        var first = balancer.Pick(selection)!;
        Assert.Same(a, first);

        Assert.True(NextUpstreamRules.TryNextAfterStatus(balancer, selection, a, NextUpstreamConditions.Http502, requestSent: true, Get(With502), out var disabled));
        Assert.True(disabled);
        Assert.Equal(1, a.FailCount);
        Assert.Equal(0, a.ActiveConnections);

        // The next peer is the last try: its 502 goes to the client, and it is not released here.
        Assert.Same(b, balancer.Pick(selection));
        Assert.False(NextUpstreamRules.TryNextAfterStatus(balancer, selection, b, NextUpstreamConditions.Http502, requestSent: true, Get(With502), out disabled));
        Assert.False(disabled);
        Assert.Equal(1, b.ActiveConnections);
        balancer.Free(selection, b, failed: false);

        // a is out for fail_timeout, b (whose 502 was the answer) is not.
        Assert.Equal("bbbb", Sequence(balancer, 4));
        _kit.Advance(11);
        Assert.Contains("a", Sequence(balancer, 4));
    }

    [Fact]
    public void The_last_peers_status_is_the_answer_and_no_failure()
    {
        // Both peers answer 502 to everything. The first request fails a and answers with b's 502, b unharmed.
        var (balancer, a, b) = TwoPeers();
        Assert.Equal("ab", AnswerOfStatus(balancer, NextUpstreamConditions.Http502, Get(With502)));
        Assert.Equal((1, 0), (a.FailCount, b.FailCount));

        // The next one has two tries but only b: b's 502 moves on (now b fails), and nothing is left — nginx's
        // "no live upstreams". Had b's first 502 counted, this request would have found no peer at all.
        Assert.Equal("b-", AnswerOfStatus(balancer, NextUpstreamConditions.Http502, Get(With502)));
        Assert.Equal((1, 1), (a.FailCount, b.FailCount));
        Assert.Equal("-", AnswerOfStatus(balancer, NextUpstreamConditions.Http502, Get(With502)));
        Assert.Equal(0, a.ActiveConnections + b.ActiveConnections);
    }

    [Theory]
    [InlineData("tries 1")]
    [InlineData("POST")]
    [InlineData("POST with non_idempotent")]
    [InlineData("timeout spent")]
    [InlineData("streamed body")]
    [InlineData("not named")]
    public void A_status_that_does_not_move_on_counts_nothing(string what)
    {
        var (balancer, a, _) = TwoPeers();
        var request = what switch
        {
            "POST" => Get(With502) with { NonIdempotent = true },
            "POST with non_idempotent" => Get(With502 | NextUpstreamConditions.NonIdempotent) with { NonIdempotent = true },
            "timeout spent" => Get(With502) with { Timeout = TimeSpan.FromSeconds(1), Elapsed = TimeSpan.FromSeconds(1) },
            "streamed body" => Get(With502) with { BodyStreamed = true },
            "not named" => Get(Default),
            _ => Get(With502),
        };
        var selection = balancer.Begin(default);
        if (what == "tries 1")
        {
            selection.Tries = 1;
        }

        var peer = balancer.Pick(selection)!;
        Assert.Same(a, peer);
        var movesOn = NextUpstreamRules.TryNextAfterStatus(balancer, selection, peer, NextUpstreamConditions.Http502, requestSent: true, request, out _);

        // With non_idempotent a POST moves on like a GET; in every other case the 502 is the answer.
        Assert.Equal(what == "POST with non_idempotent", movesOn);
        Assert.Equal(movesOn ? 1 : 0, a.FailCount);
        if (!movesOn)
        {
            Assert.Equal(1, a.ActiveConnections);
            balancer.Free(selection, peer, failed: false);
            Assert.Contains("a", Sequence(balancer, 2));
        }
    }

    [Theory]
    [InlineData(NextUpstreamConditions.Http403)]
    [InlineData(NextUpstreamConditions.Http404)]
    public void Http_403_and_404_move_on_without_a_failure(NextUpstreamConditions status)
    {
        var (balancer, a, b) = TwoPeers();
        var selection = balancer.Begin(default);
        Assert.Same(a, balancer.Pick(selection));
        Assert.True(NextUpstreamRules.TryNextAfterStatus(balancer, selection, a, status, requestSent: true, Get(Default | status), out var disabled));
        Assert.False(disabled);
        Assert.Equal(0, a.FailCount);
        Assert.Same(b, balancer.Pick(selection));
        balancer.Free(selection, b, failed: false);
        Assert.Contains("a", Sequence(balancer, 2));
    }

    [Fact]
    public void A_403_or_404_is_a_success_that_ends_a_trial()
    {
        // nginx's NGX_PEER_NEXT is no failure: a trial that gets a 404 brings the peer back.
        var (balancer, a, _) = TwoPeers();
        Failover(balancer, p => p != a);
        Assert.Equal(1, a.FailCount);
        _kit.Advance(11);

        var selection = balancer.Begin(default);
        while (balancer.Pick(selection) is { } peer && peer != a)
        {
            balancer.Free(selection, peer, failed: false);
            selection = balancer.Begin(default);
        }

        Assert.True(NextUpstreamRules.TryNextAfterStatus(balancer, selection, a, NextUpstreamConditions.Http404, requestSent: true, Get(Default | NextUpstreamConditions.Http404), out _));
        Assert.Equal(0, a.FailCount);
    }

    [Theory]
    [InlineData("last peer")]
    [InlineData("POST")]
    [InlineData("off")]
    public void An_error_is_a_failure_even_when_nothing_moves_on(string what)
    {
        var (balancer, a, b) = TwoPeers();
        var request = what switch
        {
            "POST" => Get(Default) with { NonIdempotent = true },
            "off" => Get(NextUpstreamConditions.Off),
            _ => Get(Default),
        };
        var selection = balancer.Begin(default);
        if (what == "last peer")
        {
            selection.Tries = 1;
        }

        Assert.Same(a, balancer.Pick(selection));
        Assert.False(NextUpstreamRules.TryNextAfterFailure(balancer, selection, a, NextUpstreamConditions.Error, requestSent: true, cachedConnection: false, request, out var disabled));
        Assert.True(disabled);
        Assert.Equal(1, a.FailCount);
        Assert.Equal("bbbb", Sequence(balancer, 4));
        Assert.Equal(0, b.FailCount);
    }

    [Fact]
    public void Errors_and_timeouts_move_on_until_the_tries_are_spent()
    {
        var balancer = new RoundRobinBalancer(Set(Peer(0), Peer(1), Peer(2)), _kit.Time);
        var selection = balancer.Begin(default);
        var tried = "";
        var conditions = new[] { NextUpstreamConditions.Error, NextUpstreamConditions.Timeout, NextUpstreamConditions.Error };
        var movedOn = new List<bool>();
        foreach (var condition in conditions)
        {
            var peer = balancer.Pick(selection)!;
            tried += Letter(peer);
            movedOn.Add(NextUpstreamRules.TryNextAfterFailure(balancer, selection, peer, condition, requestSent: false, cachedConnection: false, Get(Default), out _));
        }

        Assert.Equal("abc", tried);
        Assert.Equal([true, true, false], movedOn);
    }

    [Fact]
    public void An_error_on_a_cached_connection_fails_the_peer_but_gives_the_try_back()
    {
        // Two peers, two tries: the cached connection to a was closed by a, b is tried, and a try is still left.
        var (balancer, a, b) = TwoPeers();
        var selection = balancer.Begin(default);
        Assert.Same(a, balancer.Pick(selection));
        Assert.True(NextUpstreamRules.TryNextAfterFailure(balancer, selection, a, NextUpstreamConditions.Error, requestSent: true, cachedConnection: true, Get(Default), out var disabled));
        Assert.True(disabled);
        Assert.Equal(2, selection.Tries);
        Assert.Same(b, balancer.Pick(selection));

        // b's cached connection fails too: another try is left, but every peer was tried (nginx: "no live upstreams").
        Assert.True(NextUpstreamRules.TryNextAfterFailure(balancer, selection, b, NextUpstreamConditions.Error, requestSent: true, cachedConnection: true, Get(Default), out _));
        Assert.Null(balancer.Pick(selection));
    }

    [Fact]
    public void A_single_peer_is_tried_again_after_an_error_on_a_cached_connection_but_never_failed()
    {
        var only = Peer(0);
        var balancer = new RoundRobinBalancer(Set(only), _kit.Time);
        var selection = balancer.Begin(default);
        Assert.Same(only, balancer.Pick(selection));
        Assert.True(NextUpstreamRules.TryNextAfterFailure(balancer, selection, only, NextUpstreamConditions.Error, requestSent: true, cachedConnection: true, Get(Default), out var disabled));
        Assert.False(disabled);
        Assert.Same(only, balancer.Pick(selection));

        // The second error is on a new connection: no try comes back.
        Assert.False(NextUpstreamRules.TryNextAfterFailure(balancer, selection, only, NextUpstreamConditions.Error, requestSent: true, cachedConnection: false, Get(Default), out _));
        Assert.Equal(0, only.FailCount);
    }

    [Theory]
    [InlineData(NextUpstreamConditions.Timeout)]
    [InlineData(NextUpstreamConditions.InvalidHeader)]
    public void Only_an_error_on_a_cached_connection_gives_the_try_back(NextUpstreamConditions condition)
    {
        var (balancer, a, _) = TwoPeers();
        var selection = balancer.Begin(default);
        balancer.Pick(selection);
        NextUpstreamRules.TryNextAfterFailure(balancer, selection, a, condition, requestSent: true, cachedConnection: true, Get(Default | condition), out _);
        Assert.Equal(1, selection.Tries);
    }

    [Fact]
    public void A_post_on_a_cached_connection_the_peer_closed_is_not_sent_again_without_non_idempotent()
    {
        var (balancer, a, _) = TwoPeers();
        var selection = balancer.Begin(default);
        balancer.Pick(selection);
        var post = Get(Default) with { NonIdempotent = true };
        Assert.False(NextUpstreamRules.TryNextAfterFailure(balancer, selection, a, NextUpstreamConditions.Error, requestSent: true, cachedConnection: true, post, out _));
        Assert.Equal(1, a.FailCount);

        // Refused before anything was sent, a POST moves on like any request.
        var (balancer2, c, _) = TwoPeers();
        var selection2 = balancer2.Begin(default);
        balancer2.Pick(selection2);
        Assert.True(NextUpstreamRules.TryNextAfterFailure(balancer2, selection2, c, NextUpstreamConditions.Error, requestSent: false, cachedConnection: false, post, out _));
    }

    private (RoundRobinBalancer Balancer, UpstreamPeer A, UpstreamPeer B) TwoPeers()
    {
        var a = Peer(0, maxFails: 1, failTimeout: 10);
        var b = Peer(1, maxFails: 1, failTimeout: 10);
        return (new RoundRobinBalancer(Set(a, b), _kit.Time), a, b);
    }

    private static NextUpstreamRequest Get(NextUpstreamConditions allowed) => new(allowed, NonIdempotent: false, BodyStreamed: false, Timeout: TimeSpan.Zero, Elapsed: TimeSpan.Zero);

    /// <summary>A request whose peers all answer <paramref name="status"/>, run as ProxyHandler runs it: the letters tried, "-" for no peer left.</summary>
    private static string AnswerOfStatus(RoundRobinBalancer balancer, NextUpstreamConditions status, NextUpstreamRequest request)
    {
        var selection = balancer.Begin(default);
        var tried = "";
        while (true)
        {
            if (balancer.Pick(selection) is not { } peer)
            {
                return tried + "-";
            }

            tried += Letter(peer);
            if (!NextUpstreamRules.TryNextAfterStatus(balancer, selection, peer, status, requestSent: true, request, out _))
            {
                balancer.Free(selection, peer, failed: false);
                return tried;
            }
        }
    }
}
