using System.Collections.Immutable;
using System.Net;
using Sluice.Configuration;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Syntax;
using Sluice.Configuration.Values;

namespace Sluice.Upstreams.Configuration;

/// <summary>
/// Every upstream group of the http block, named by <c>upstream</c> blocks or by <c>proxy_pass</c> (nginx's
/// <c>ngx_http_upstream_add</c> and the upstream module's main-conf init). One per configuration load:
/// <c>compiler.State&lt;UpstreamRegistry&gt;()</c>. When the http block closes, <see cref="Groups"/> holds the
/// frozen groups in the order they were first named.
/// </summary>
public sealed class UpstreamRegistry
{
    private readonly List<UpstreamBuilder> _upstreams = [];

    public ImmutableArray<UpstreamGroup> Groups { get; private set; } = [];

    /// <summary>
    /// The upstream a block <c>upstream name { }</c> defines: a new one, or an implicit one created earlier by a
    /// proxy_pass without port. Matching names is case-insensitive, as in nginx.
    /// </summary>
    public UpstreamBuilder DefineBlock(string name, SourceLocation at)
    {
        foreach (var upstream in _upstreams)
        {
            if (!string.Equals(upstream.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (upstream.IsBlock)
            {
                throw new ConfigException($"duplicate upstream \"{name}\"", at);
            }

            if (!upstream.NoPort)
            {
                // nginx names the proxy_pass that gave the port, not the block.
                throw new ConfigException($"upstream \"{name}\" may not have port {upstream.Port}", upstream.Location);
            }

            return upstream;
        }

        return Add(new UpstreamBuilder(name, 0, noPort: true, at));
    }

    /// <summary>The upstream a <c>proxy_pass</c> address names: a block of that name, an implicit upstream for the same host and port, or a new implicit one.</summary>
    public UpstreamBuilder Reference(NginxUrl url, SourceLocation at)
    {
        foreach (var upstream in _upstreams)
        {
            if (!string.Equals(upstream.Name, url.Host, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (upstream.IsBlock && !url.NoPort)
            {
                throw new ConfigException($"upstream \"{url.Host}\" may not have port {url.Port}", at);
            }

            if (upstream.Port != 0 && url.Port != 0 && upstream.Port != url.Port)
            {
                continue;
            }

            return upstream;
        }

        var created = Add(new UpstreamBuilder(url.Host, url.Port, url.NoPort, at));
        if (url.Addresses.Count == 1 && (url.Port != 0 || url.IsUnix))
        {
            // nginx zero-fills this server: no failure accounting for a single literal peer.
            var address = url.Addresses[0];
            created.SetLiteralServer(new UpstreamServer(Http.Configuration.HttpCoreDirectives.AddressText(address), [address], 1, 0, TimeSpan.Zero, 0, false, false));
        }

        return created;
    }

    private UpstreamBuilder Add(UpstreamBuilder upstream)
    {
        _upstreams.Add(upstream);
        return upstream;
    }

    /// <summary>
    /// nginx's upstream init when the http block closes: a group needs a primary server, an implicit group
    /// named by host is resolved now (once — later DNS changes are not followed, as in nginx).
    /// </summary>
    internal void Freeze(IHostResolver resolver)
    {
        var groups = ImmutableArray.CreateBuilder<UpstreamGroup>(_upstreams.Count);
        foreach (var upstream in _upstreams)
        {
            var servers = upstream.Servers is { } configured
                ? CheckHasPrimary(upstream, configured)
                : Resolve(upstream, resolver);
            groups.Add(upstream.Freeze(servers, Keepalive(upstream)));
        }

        Groups = groups.MoveToImmutable();
    }

    private static ImmutableArray<UpstreamServer> CheckHasPrimary(UpstreamBuilder upstream, List<UpstreamServer> servers)
    {
        if (!servers.Any(s => !s.Backup && s.Addresses.Length > 0))
        {
            throw new ConfigException($"no servers in upstream \"{upstream.Name}\"", upstream.Location);
        }

        return [.. servers];
    }

    private static ImmutableArray<UpstreamServer> Resolve(UpstreamBuilder upstream, IHostResolver resolver)
    {
        if (upstream.Port == 0)
        {
            throw new ConfigException($"no port in upstream \"{upstream.Name}\"", upstream.Location);
        }

        var addresses = resolver.Resolve(upstream.Name);
        if (addresses.Count == 0)
        {
            throw new ConfigException($"host not found in upstream \"{upstream.Name}\"", upstream.Location);
        }

        // Each resolved address is a peer of its own with nginx's server defaults.
        return [.. addresses.Select(a => new UpstreamServer(
            upstream.Name, [new IPEndPoint(a, upstream.Port)], 1, 1, TimeSpan.FromSeconds(10), 0, false, false))];
    }

    private static UpstreamKeepalive? Keepalive(UpstreamBuilder upstream)
    {
        if (!upstream.KeepaliveInEffect || upstream.Scope is not { } scope)
        {
            return null;
        }

        return new UpstreamKeepalive(
            upstream.KeepaliveConnections,
            scope.Get(UpstreamSettings.KeepaliveTime),
            scope.Get(UpstreamSettings.KeepaliveTimeout),
            scope.Get(UpstreamSettings.KeepaliveRequests));
    }
}
