using Sluice.Configuration;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Syntax;
using Sluice.Http.Configuration;
using Sluice.Variables;
using S = Sluice.Proxy.Configuration.ProxySettings;

namespace Sluice.Proxy.Configuration;

/// <summary>
/// The checks of nginx's <c>ngx_http_proxy_merge_loc_conf</c>, run when the http block closes on every block
/// in nginx's merge order: each server, then its locations depth first (with the <c>if</c> and
/// <c>limit_except</c> blocks that have their own proxy_pass). nginx reports them at the http block's closing
/// brace. The http level itself is never merged, so a bad value there only fails through a server.
/// </summary>
internal sealed class ProxyMergeChecks
{
    private readonly HttpConfState _http;
    private readonly ProxyConfState _proxy;
    private readonly SourceLocation _at;
    private readonly HashSet<object> _compiledHeaderLists = new(ReferenceEqualityComparer.Instance);

    public ProxyMergeChecks(ConfigCompiler compiler, HttpConfState http)
    {
        _http = http;
        _proxy = compiler.State<ProxyConfState>();
        _at = http.BlockEnd ?? http.Http!.Location;
    }

    public void Run()
    {
        foreach (var server in _http.Servers)
        {
            Check(server.Scope);
            foreach (var location in server.Locations)
            {
                Visit(location);
            }
        }
    }

    private void Visit(LocationBuilder location)
    {
        Check(location.Scope);
        foreach (var scope in _proxy.PassScopes)
        {
            if (scope.Kind != DirectiveContext.Location && scope.Nearest(DirectiveContext.Location) == location.Scope)
            {
                Check(scope);
            }
        }

        foreach (var child in location.Children)
        {
            Visit(child);
        }
    }

    private void Check(ConfScope scope)
    {
        CheckBuffers(scope);
        CheckCacheZone(scope);
        CheckUpstreamSsl(scope);
        CompileBody(scope);
        CompileHeaders(scope);
    }

    private void CheckBuffers(ConfScope scope)
    {
        var buffers = scope.Get(S.Buffers) ?? new BufferSpec(8, 4096);
        if (buffers.Count < 2)
        {
            throw Fail("there must be at least 2 \"proxy_buffers\"");
        }

        var size = Math.Max(scope.Get(S.BufferSize), buffers.Size);
        var busy = scope.Get(S.BusyBuffersSize) ?? 2 * size;
        if (busy < size)
        {
            throw Fail("\"proxy_busy_buffers_size\" must be equal to or greater than the maximum of the value of \"proxy_buffer_size\" and one of the \"proxy_buffers\"");
        }

        if (busy > (buffers.Count - 1) * buffers.Size)
        {
            throw Fail("\"proxy_busy_buffers_size\" must be less than the size of all \"proxy_buffers\" minus one buffer");
        }

        if ((scope.Get(S.TempFileWriteSize) ?? 2 * size) < size)
        {
            throw Fail("\"proxy_temp_file_write_size\" must be equal to or greater than the maximum of the value of \"proxy_buffer_size\" and one of the \"proxy_buffers\"");
        }

        var maxTemp = scope.Get(S.MaxTempFileSize) ?? S.DefaultMaxTempFileSize;
        if (maxTemp != 0 && maxTemp < size)
        {
            throw Fail("\"proxy_max_temp_file_size\" must be equal to zero to disable temporary files usage or must be equal to or greater than the maximum of the value of \"proxy_buffer_size\" and one of the \"proxy_buffers\"");
        }
    }

    /// <summary>A literal <c>proxy_cache</c> zone must be a proxy_cache_path's keys zone (declared anywhere in the file).</summary>
    private void CheckCacheZone(ConfScope scope)
    {
        if (scope.Get(S.Cache) is { Zone: { Data: null } zone })
        {
            throw Fail($"\"proxy_cache\" zone \"{zone.Name}\" is unknown");
        }
    }

    /// <summary>
    /// nginx prepares the TLS client context only in blocks whose own proxy_pass may use https (https:// or
    /// variables); these two checks of that step are printed without a location.
    /// </summary>
    private static void CheckUpstreamSsl(ConfScope scope)
    {
        if (!scope.TryGetHere(S.Pass, out var pass) || pass is not { Ssl: true })
        {
            return;
        }

        if (scope.Get(S.SslCertificate) is { } certificate && scope.Get(S.SslCertificateKey) is null)
        {
            throw new ConfigException($"no \"proxy_ssl_certificate_key\" is defined for certificate \"{certificate.Source}\"", (SourceLocation?)null);
        }

        if (scope.Get(S.SslVerify) && string.IsNullOrEmpty(scope.Get(S.SslTrustedCertificate)))
        {
            throw new ConfigException("no proxy_ssl_trusted_certificate for proxy_ssl_verify", (SourceLocation?)null);
        }
    }

    /// <summary><c>proxy_set_body</c> is stored as text and compiled when merged, so its variable errors surface here.</summary>
    private void CompileBody(ConfScope scope)
    {
        if (scope.Get(S.SetBody) is { } body)
        {
            Compile(body);
        }
    }

    /// <summary>The same holds for <c>proxy_set_header</c> values; each list is compiled once, where nginx first builds it.</summary>
    private void CompileHeaders(ConfScope scope)
    {
        var headers = scope.GetList(S.SetHeaders);
        if (!_compiledHeaderLists.Add(headers))
        {
            return;
        }

        foreach (var header in headers)
        {
            if (header.Value.Length > 0)
            {
                Compile(header.Value);
            }
        }
    }

    private void Compile(string text) => _http.Variables.Use(VariableTemplate.Parse(text, _at));

    private ConfigException Fail(string message) => new(message, _at);
}
