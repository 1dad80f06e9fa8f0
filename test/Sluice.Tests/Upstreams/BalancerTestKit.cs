using System.Net;
using Microsoft.Extensions.Time.Testing;
using Sluice.Upstreams.Balancing;

namespace Sluice.Tests.Upstreams;

/// <summary>Peers named a, b, c … on 127.0.0.1:8001 …, a fake clock, and helpers to run requests through a balancer.</summary>
internal sealed class BalancerTestKit
{
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public static UpstreamPeer Peer(int index, int weight = 1, int maxFails = 1, int failTimeout = 10, int maxConns = 0, bool down = false, bool drain = false) =>
        new(new UpstreamPeerOptions(
            $"127.0.0.1:{8001 + index}",
            new IPEndPoint(IPAddress.Loopback, 8001 + index),
            $"127.0.0.1:{8001 + index}",
            weight,
            maxFails,
            TimeSpan.FromSeconds(failTimeout),
            maxConns,
            down,
            drain));

    public static PeerSet Set(params UpstreamPeer[] peers) => new("backend", peers, isBackup: false);

    public static PeerSet WithBackup(PeerSet primary, params UpstreamPeer[] backups)
    {
        var backup = new PeerSet("backend", backups, isBackup: true, primary.Lock);
        primary.Next = backup;
        return primary;
    }

    /// <summary>The letter of a peer of <see cref="Peer"/>: 127.0.0.1:8001 is "a".</summary>
    public static string Letter(UpstreamPeer? peer) => peer is null ? "-" : ((char)('a' + ((IPEndPoint)peer.Address).Port - 8001)).ToString();

    /// <summary>One request that succeeds on its first peer: picked and freed at once.</summary>
    public static string Request(IUpstreamBalancer balancer, BalancerRequest request = default)
    {
        var selection = balancer.Begin(request);
        var peer = balancer.Pick(selection);
        if (peer is not null)
        {
            balancer.Free(selection, peer, failed: false);
        }

        return Letter(peer);
    }

    /// <summary>One request whose attempts fail on every peer until <paramref name="succeedsOn"/> answers; the letters tried.</summary>
    public static string Failover(IUpstreamBalancer balancer, Func<UpstreamPeer, bool> succeedsOn, BalancerRequest request = default)
    {
        var selection = balancer.Begin(request);
        var tried = "";
        while (selection.Tries > 0 && balancer.Pick(selection) is { } peer)
        {
            tried += Letter(peer);
            var ok = succeedsOn(peer);
            balancer.Free(selection, peer, failed: !ok);
            if (ok)
            {
                break;
            }
        }

        return tried;
    }

    public static string Sequence(IUpstreamBalancer balancer, int count, Func<int, BalancerRequest>? request = null) =>
        string.Concat(Enumerable.Range(0, count).Select(i => Request(balancer, request?.Invoke(i) ?? default)));

    public void Advance(int seconds) => Time.Advance(TimeSpan.FromSeconds(seconds));
}
