using Sluice.Upstreams.Balancing;
using Sluice.Upstreams.Configuration;
using Sluice.Upstreams.Http1;

namespace Sluice.Upstreams.Runtime;

/// <summary>
/// An upstream group at runtime: its balancer and, with <c>keepalive</c>, the cache of idle connections to
/// its peers. Without <c>keepalive</c> every connection is closed after its response, as in nginx.
/// </summary>
public sealed class UpstreamRuntime : IDisposable
{
    /// <param name="workers">nginx's worker_processes: each worker has its own cache of <c>keepalive N</c>, so Sluice's has a shard of N per worker.</param>
    public UpstreamRuntime(UpstreamGroup group, IUpstreamBalancer balancer, TimeProvider time, int workers = 1)
    {
        Group = group;
        Balancer = balancer;
        Keepalive = group.Keepalive is { } settings
            ? new KeepaliveCache(settings, time, workers)
            : null;
    }

    public UpstreamGroup Group { get; }

    public string Name => Group.Name;

    public IUpstreamBalancer Balancer { get; }

    /// <summary>The idle connection cache; null without <c>keepalive</c>.</summary>
    public KeepaliveCache? Keepalive { get; }

    public void Dispose() => Keepalive?.Dispose();
}
