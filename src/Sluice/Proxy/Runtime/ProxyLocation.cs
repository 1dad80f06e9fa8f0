using System.Collections.Frozen;
using Sluice.Proxy.Configuration;
using Sluice.Upstreams.Runtime;
using Sluice.Variables;

namespace Sluice.Proxy.Runtime;

/// <summary>A location's proxy settings, resolved and compiled once per configuration load.</summary>
public sealed record ProxyLocation
{
    public required ProxyPass Pass { get; init; }

    /// <summary>The group of a static proxy_pass; null with variables (looked up per request).</summary>
    public UpstreamTarget? Upstream { get; init; }

    /// <summary>The generation's groups and addresses for a proxy_pass with variables; null for a static one.</summary>
    internal VariablePassTargets? VariableTargets { get; init; }

    /// <summary>The URL of a proxy_pass with variables, compiled once.</summary>
    public CompiledTemplate? PassTemplate { get; init; }

    /// <summary><c>proxy_set_header</c> (with nginx's defaults) in the order they are sent; an empty value sends nothing.</summary>
    public required ProxySetHeader[] SetHeaders { get; init; }

    /// <summary>Request headers not copied from the client because a proxy_set_header (or default) decides them.</summary>
    public required FrozenSet<string> SetHeaderNames { get; init; }

    /// <summary>Response headers from upstream that are not passed to the client.</summary>
    public required FrozenSet<string> HideHeaders { get; init; }

    public required bool PassRequestHeaders { get; init; }

    public required bool PassRequestBody { get; init; }

    public required Version HttpVersion { get; init; }

    /// <summary><c>proxy_http_version 1.1</c>: needed for upstream keepalive and chunked request bodies.</summary>
    public bool Http11 => HttpVersion == System.Net.HttpVersion.Version11;

    public required TimeSpan ConnectTimeout { get; init; }

    public required TimeSpan ReadTimeout { get; init; }

    public required TimeSpan SendTimeout { get; init; }

    public required NextUpstreamConditions NextUpstream { get; init; }

    public required long NextUpstreamTries { get; init; }

    public required TimeSpan NextUpstreamTimeout { get; init; }

    public required bool Buffering { get; init; }

    /// <summary>Memory and temp file limits of a buffered response.</summary>
    public required ResponseBuffering Buffers { get; init; }

    /// <summary><c>proxy_ignore_headers X-Accel-Buffering</c>: the upstream cannot switch buffering.</summary>
    public required bool IgnoreAccelBuffering { get; init; }

    public required bool RequestBuffering { get; init; }

    public required bool InterceptErrors { get; init; }

    public required bool IgnoreClientAbort { get; init; }

    /// <summary>proxy_redirect rules; null when off.</summary>
    public required RedirectRule[]? Redirects { get; init; }

    public required long BufferSize { get; init; }

    public CompiledTemplate? Method { get; init; }
}

/// <summary>
/// What a buffered response (proxy_buffering on) may hold while its client is slower than its upstream, with
/// nginx's merged defaults: <paramref name="BufferCount"/> buffers of <paramref name="BufferSize"/> in memory
/// (proxy_buffers), then a temp file of at most <paramref name="MaxTempFileSize"/> (0: none) written
/// <paramref name="TempFileWriteSize"/> at a time; <paramref name="BusySize"/> is how much goes to the client
/// between two flushes (proxy_busy_buffers_size).
/// </summary>
public sealed record ResponseBuffering(int BufferCount, int BufferSize, int BusySize, long MaxTempFileSize, int TempFileWriteSize, Core.TempFileDirectory TempDirectory);

/// <summary>One header the proxy sets: its name, its value template, and whether it is the Host of <c>$proxy_host</c> (known per request without rendering).</summary>
public sealed record ProxySetHeader(string Name, CompiledTemplate Value, bool IsProxyHost);

/// <summary>A compiled proxy_redirect rule.</summary>
public abstract record RedirectRule
{
    /// <summary>The rewritten header value, or null when the rule does not apply.</summary>
    public abstract string? Apply(string value, Http.Runtime.RequestContext request);

    public sealed record Text(CompiledTemplate Pattern, CompiledTemplate Replacement) : RedirectRule
    {
        public override string? Apply(string value, Http.Runtime.RequestContext request)
        {
            // nginx compares the prefix without case and replaces just that prefix.
            var pattern = Pattern.Render(request);
            return value.StartsWith(pattern, StringComparison.OrdinalIgnoreCase) ? Replacement.Render(request) + value[pattern.Length..] : null;
        }
    }

    public sealed record Regex(System.Text.RegularExpressions.Regex Pattern, CompiledTemplate Replacement) : RedirectRule
    {
        public override string? Apply(string value, Http.Runtime.RequestContext request)
        {
            var match = Pattern.Match(value);
            if (!match.Success)
            {
                return null;
            }

            // A regex rule replaces the whole value (its captures are available to the replacement).
            request.SetCaptures(match, Pattern);
            return Replacement.Render(request);
        }
    }
}
