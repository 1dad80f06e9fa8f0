using Sluice.Configuration.Directives;

namespace Sluice.Proxy.Configuration;

/// <summary>What the proxy module collects while the http block is read (one per configuration load).</summary>
public sealed class ProxyConfState
{
    /// <summary>
    /// Blocks with their own <c>proxy_pass</c>, in configuration order. The merge checks need the
    /// <c>if</c> and <c>limit_except</c> ones, which are not in the location tree.
    /// </summary>
    public List<ConfScope> PassScopes { get; } = [];

    /// <summary>The <c>proxy_cache_path</c> directives, in configuration order.</summary>
    public List<ProxyCachePath> CachePaths { get; } = [];
}
