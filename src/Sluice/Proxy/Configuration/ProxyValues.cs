using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Sluice.Configuration.Syntax;
using Sluice.Core;
using Sluice.Upstreams.Configuration;
using Sluice.Variables;

namespace Sluice.Proxy.Configuration;

/// <summary>Where <c>proxy_pass</c> sends requests.</summary>
public abstract record ProxyPass(string Url, bool Ssl);

/// <summary>
/// <c>proxy_pass http://name[:port][/uri]</c>: an upstream group known when the configuration is loaded.
/// <see cref="HostHeader"/> is what <c>$proxy_host</c> gives; <see cref="LocationPrefix"/> is the part of the
/// request URI that <see cref="Uri"/> replaces (null where nginx forbids a URI: regex, named, if, limit_except).
/// </summary>
public sealed record StaticProxyPass(
    string Url,
    bool Ssl,
    UpstreamBuilder Upstream,
    string HostHeader,
    string Port,
    string Uri,
    string? LocationPrefix) : ProxyPass(Url, Ssl);

/// <summary>nginx's <c>ngx_http_proxy_set_vars</c>: <c>$proxy_host</c> and <c>$proxy_port</c> of a proxy_pass address.</summary>
public static class ProxyPassVariables
{
    /// <summary>The host alone when the port is the scheme's (written or not), else host and port as written; "localhost" for a unix socket.</summary>
    public static (string Host, string Port) Of(Sluice.Configuration.Values.NginxUrl address, int defaultPort) =>
        address.IsUnix ? ("localhost", "")
        : address.NoPort || address.Port == defaultPort ? (address.Host, defaultPort == 80 ? "80" : "443")
        : ($"{address.Host}:{address.PortText}", address.PortText);
}

/// <summary><c>proxy_pass</c> with variables: the URL is built per request and its host looked up among the groups then.</summary>
public sealed record VariableProxyPass(string Url, VariableTemplate Template) : ProxyPass(Url, Ssl: true);

/// <summary>One rule of <c>proxy_redirect</c>, <c>proxy_cookie_domain</c> or <c>proxy_cookie_path</c>.</summary>
public abstract record ProxyRewrite;

/// <summary><c>~regex replacement</c> (<c>~*</c> for caseless).</summary>
public sealed record RegexRewrite(Regex Pattern, VariableTemplate Replacement) : ProxyRewrite;

/// <summary>A text pattern (with variables) and its replacement.</summary>
public sealed record TextRewrite(VariableTemplate Pattern, VariableTemplate Replacement) : ProxyRewrite;

/// <summary><c>proxy_redirect default</c>: derived from the proxy_pass URL and the location, both taken literally.</summary>
public sealed record DefaultRedirect(string Pattern, string Replacement) : ProxyRewrite;

/// <summary>
/// The rules of a list directive that also takes <c>off</c> (<c>proxy_redirect</c>, <c>proxy_cookie_*</c>).
/// <see cref="Enabled"/> false is an explicit <c>off</c>.
/// </summary>
public sealed record ProxyRules<T>(bool Enabled, ImmutableArray<T> Rules);

/// <summary>One <c>proxy_cookie_flags cookie flag…</c> rule; the cookie is a caseless regex or a name with variables.</summary>
public sealed record CookieFlagsRule(Regex? Regex, VariableTemplate? Cookie, ImmutableArray<VariableTemplate> Flags);

/// <summary><c>proxy_cache</c>: off, a zone named now (its <see cref="SharedZone.Data"/> is the <see cref="ProxyCachePath"/>), or a zone name with variables.</summary>
public sealed record ProxyCache(bool Enabled, SharedZone? Zone, VariableTemplate? ZoneTemplate)
{
    public static ProxyCache Off { get; } = new(false, null, null);
}

/// <summary><c>proxy_store</c>: off, on (the request's file name under root), or a path template.</summary>
public sealed record ProxyStore(bool Enabled, VariableTemplate? Path);

/// <summary><c>proxy_bind</c>: the local address (null for <c>off</c>), and whether it is a transparent (client's) address.</summary>
public sealed record ProxyBind(VariableTemplate? Address, bool Transparent);

/// <summary>One status (0 for <c>any</c>) of <c>proxy_cache_valid</c> and how long such responses are fresh.</summary>
public readonly record struct CacheValidity(int Status, TimeSpan Valid);

/// <summary>A <c>proxy_cache_path</c>: the directory, its hash levels and the keys zone with its limits.</summary>
public sealed record ProxyCachePath(
    string Path,
    ImmutableArray<int> Levels,
    string ZoneName,
    long ZoneSize,
    TimeSpan Inactive,
    long MaxSize,
    long MinFree,
    bool UseTempPath,
    SourceLocation Location);
