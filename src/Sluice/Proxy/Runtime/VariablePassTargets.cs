using System.Collections.Concurrent;
using Sluice.Configuration;
using Sluice.Configuration.Values;
using Sluice.Proxy.Configuration;
using Sluice.Upstreams.Balancing;
using Sluice.Upstreams.Configuration;
using Sluice.Upstreams.Runtime;

namespace Sluice.Proxy.Runtime;

/// <summary>
/// Where <c>proxy_pass</c> with variables sends a request, by the address its URL names — nginx's
/// <c>ngx_http_proxy_eval</c> and <c>ngx_http_upstream_init_request</c>: an upstream group of that host whose
/// port agrees (a block only when the URL gives no port), else, when the host is an address, that address as a
/// single peer nginx creates for the request (<c>ngx_http_upstream_create_round_robin_peer</c>), else nothing
/// ("no resolver defined to resolve", as Sluice has no resolver).
/// </summary>
/// <remarks>
/// One per configuration generation, shared by its locations. A URL's scheme and address text is resolved once
/// and the answer kept (up to <see cref="MaxCached"/> of them, so values an attacker chooses cannot grow it for
/// good): the request path then only finds where the address ends and looks it up, and a single peer is not a
/// new group per request. Sharing the peer changes nothing nginx would show: a single peer's failures are never
/// counted and it has no keepalive cache. Past the bound an address is resolved, and its peer built, per request.
/// </remarks>
internal sealed class VariablePassTargets
{
    internal const int MaxCached = 4096;

    private readonly (string Name, int Port, UpstreamTarget Target)[] _groups;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly int _maxCached;
    private readonly ConcurrentDictionary<string, PassTarget> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PassTarget>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private int _cached;

    /// <param name="groups">The generation's groups in the order nginx searches them: the order they were first named.</param>
    /// <param name="maxCached">How many addresses are kept at most (tests lower it).</param>
    public VariablePassTargets(IEnumerable<(UpstreamGroup Group, UpstreamTarget Target)> groups, TimeProvider time, Random random, int maxCached = MaxCached)
    {
        _groups = [.. groups.Select(g => (g.Group.Name, g.Group.Port, g.Target))];
        _time = time;
        _random = random;
        _maxCached = maxCached;
        _lookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>How many addresses are cached (for tests).</summary>
    internal int Cached => Volatile.Read(ref _cached);

    /// <summary>
    /// The target of an evaluated proxy_pass URL. Its <see cref="ProxyTarget.Uri"/> is null when the URL has
    /// none, so the client's URI goes (the caller knows how nginx builds it).
    /// </summary>
    public ProxyTarget Resolve(string url)
    {
        // nginx wants something after the scheme: "http://" alone is an invalid prefix too.
        var https = false;
        int schemeLength;
        if (url.Length > 7 && url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            schemeLength = 7;
        }
        else if (url.Length > 8 && url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            schemeLength = 8;
            https = true;
        }
        else
        {
            return ProxyTarget.Failed(500, $"invalid URL prefix in \"{url}\"", "", "");
        }

        var end = schemeLength + AddressLength(url.AsSpan(schemeLength));
        if (!_lookup.TryGetValue(url.AsSpan(0, end), out var target))
        {
            target = Resolve(url, schemeLength, end, https, out var failure);
            if (target is null)
            {
                return failure;
            }
        }

        return new ProxyTarget(target.Upstream, target.ProxyHost, target.ProxyPort, UriAfter(url, end, target.IsUnix), target.Scheme, null, 0);
    }

    /// <summary>
    /// How long the address at the start of <paramref name="rest"/> is, by ngx_parse_url's rules with a URI part:
    /// a unix socket path ends at ':', an IPv6 literal's URI starts at the first '/' after ']', and anything
    /// else's at the first '/' or '?'.
    /// </summary>
    internal static int AddressLength(ReadOnlySpan<char> rest)
    {
        int end;
        if (rest.Length >= 5 && rest.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            end = rest[5..].IndexOf(':');
            return end < 0 ? rest.Length : end + 5;
        }

        if (rest.Length > 0 && rest[0] == '[')
        {
            var close = rest.IndexOf(']');
            end = close < 0 ? -1 : rest[close..].IndexOf('/');
            return end < 0 ? rest.Length : end + close;
        }

        end = rest.IndexOfAny('/', '?');
        return end < 0 ? rest.Length : end;
    }

    /// <summary>The URL's own URI after the address: a query alone gets nginx's leading '/'; none at all is null.</summary>
    private static string? UriAfter(string url, int end, bool unix)
    {
        if (unix)
        {
            // "unix:/path:/uri": the ':' separates, and an empty URI is none.
            end++;
        }

        if (end >= url.Length)
        {
            return null;
        }

        return url[end] == '?' ? "/" + url[end..] : url[end..];
    }

    /// <summary>A URL whose address is not cached: parsed as nginx parses it, then looked up among the groups.</summary>
    private PassTarget? Resolve(string url, int schemeLength, int end, bool https, out ProxyTarget failure)
    {
        failure = default;
        var defaultPort = https ? 443 : 80;

        // NoResolve: the resolver is never asked; an address is literal or it is a name.
        var address = NginxUrl.Parse(
            url[schemeLength..],
            new UrlParseOptions { UriPart = true, NoResolve = true, DefaultPort = defaultPort },
            LiteralHostResolver.Instance);
        if (!address.Ok)
        {
            // $proxy_host stays empty: nginx fails before it sets the proxy variables.
            failure = ProxyTarget.Failed(500, $"{address.Error} in upstream \"{address.Url}\"", "", "");
            return null;
        }

        var (proxyHost, proxyPort) = ProxyPassVariables.Of(address, defaultPort);
        var scheme = https ? "https" : "http";
        var upstream = FindGroup(address);
        var cacheable = Volatile.Read(ref _cached) < _maxCached;
        if (upstream is null)
        {
            if (address.Addresses.Count == 0)
            {
                failure = ProxyTarget.Failed(502, $"no resolver defined to resolve {address.Host}", proxyHost, proxyPort);
                return null;
            }

            upstream = SinglePeer(address, url[schemeLength..end]);
        }

        var target = new PassTarget(upstream, proxyHost, proxyPort, scheme, address.IsUnix);
        if (cacheable && _cache.TryAdd(url[..end], target))
        {
            Interlocked.Increment(ref _cached);
        }

        return target;
    }

    /// <summary>
    /// nginx's search of the upstreams for a resolved URL: the same host (without case) and, for a block (port 0),
    /// no port in the URL; for an implicit group, the same port (the scheme's when none was written).
    /// </summary>
    private UpstreamTarget? FindGroup(NginxUrl address)
    {
        foreach (var (name, port, target) in _groups)
        {
            if (((port == 0 && address.NoPort) || port == address.Port) && string.Equals(name, address.Host, StringComparison.OrdinalIgnoreCase))
            {
                return target;
            }
        }

        return null;
    }

    /// <summary>
    /// The peer nginx creates for an address in a proxy_pass with variables: weight 1, max_fails 1, fail_timeout
    /// 10s, no keepalive — and alone, so its failures are not counted and no other peer is tried.
    /// </summary>
    private UpstreamTarget SinglePeer(NginxUrl address, string text)
    {
        var server = new UpstreamServer(text, [address.Addresses[0]], 1, 1, TimeSpan.FromSeconds(10), 0, false, false);
        var group = new UpstreamGroup(address.Host, address.Port, IsBlock: false, [server], BalancingMethod.RoundRobin, null, null, default);
        return new UpstreamTarget(new UpstreamRuntime(group, BalancerFactory.Create(group, _time, _random), _time), null);
    }
}

/// <summary>A resolved address of a proxy_pass with variables: the group, nginx's <c>$proxy_host</c> and <c>$proxy_port</c> for it, and the scheme.</summary>
internal sealed record PassTarget(UpstreamTarget Upstream, string ProxyHost, string ProxyPort, string Scheme, bool IsUnix);

/// <summary>
/// Where one request is proxied: the group, <c>$proxy_host</c>, <c>$proxy_port</c>, the URI to send (null: the
/// client's), and the scheme; or, with no group, the error to log and the status to answer.
/// </summary>
internal readonly record struct ProxyTarget(
    UpstreamTarget? Upstream,
    string ProxyHost,
    string ProxyPort,
    string? Uri,
    string Scheme,
    string? Error,
    int ErrorStatus)
{
    public static ProxyTarget Failed(int status, string error, string proxyHost, string proxyPort) =>
        new(null, proxyHost, proxyPort, null, "http", error, status);
}
