using Sluice.Configuration;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using Sluice.Http.Configuration;
using Sluice.Upstreams.Configuration;
using Sluice.Variables;
using static Sluice.Configuration.Directives.DirectiveArity;
using static Sluice.Configuration.Directives.DirectiveContext;
using S = Sluice.Proxy.Configuration.ProxySettings;

namespace Sluice.Proxy.Configuration;

/// <summary>
/// The directives of nginx's proxy module, validated with nginx's rules and messages. The checks nginx
/// makes when it merges the blocks (buffer sizes, cache zones, header variables) run when the http block
/// closes, in <see cref="ProxyMergeChecks"/>.
/// </summary>
internal static class ProxyDirectives
{
    private const DirectiveContext Hsl = HttpServerLocation;

    public static void Register(DirectiveTable t)
    {
        void Add(string name, DirectiveContext contexts, DirectiveArity arity, DirectiveHandler handler, DirectiveSupport support = DirectiveSupport.NotImplemented) =>
            t.Add(new DirectiveSpec(name, contexts, arity, handler, support) { Module = "http_proxy" });

        t.OnCompile(compiler =>
        {
            var http = compiler.State<HttpConfState>();
            http.AfterHttp(HttpOrder.Proxy, () => new ProxyMergeChecks(compiler, http).Run());
        });

        Add("proxy_pass", DirectiveContext.Location | LocationIf | LimitExcept, Take1, Pass, DirectiveSupport.Implemented);
        Add("proxy_redirect", Hsl, Take12, ProxyRewriteDirectives.Redirect, DirectiveSupport.Implemented);
        Add("proxy_cookie_domain", Hsl, Take12, ProxyRewriteDirectives.CookieDomain);
        Add("proxy_cookie_path", Hsl, Take12, ProxyRewriteDirectives.CookiePath);
        Add("proxy_cookie_flags", Hsl, Take1234, ProxyRewriteDirectives.CookieFlags);
        Add("proxy_store", Hsl, Take1, Store);
        Add("proxy_store_access", Hsl, Take123, StoreAccess);
        Add("proxy_buffering", Hsl, DirectiveArity.Flag, Slots.Flag(S.Buffering), DirectiveSupport.Implemented);
        Add("proxy_request_buffering", Hsl, DirectiveArity.Flag, Slots.Flag(S.RequestBuffering), DirectiveSupport.Implemented);
        Add("proxy_ignore_client_abort", Hsl, DirectiveArity.Flag, Slots.Flag(S.IgnoreClientAbort));
        Add("proxy_bind", Hsl, Take12, Bind);
        Add("proxy_socket_keepalive", Hsl, DirectiveArity.Flag, Slots.Flag(S.SocketKeepalive));
        Add("proxy_connect_timeout", Hsl, Take1, Slots.Msec(S.ConnectTimeout), DirectiveSupport.Implemented);
        Add("proxy_send_timeout", Hsl, Take1, Slots.Msec(S.SendTimeout), DirectiveSupport.Implemented);
        Add("proxy_send_lowat", Hsl, Take1, SendLowat, DirectiveSupport.Accepted);
        Add("proxy_intercept_errors", Hsl, DirectiveArity.Flag, Slots.Flag(S.InterceptErrors));
        Add("proxy_set_header", Hsl, Take2, Slots.KeyValue(S.SetHeaders), DirectiveSupport.Implemented);
        Add("proxy_headers_hash_max_size", Hsl, Take1, Slots.Number(S.HeadersHashMaxSize), DirectiveSupport.Accepted);
        Add("proxy_headers_hash_bucket_size", Hsl, Take1, Slots.Number(S.HeadersHashBucketSize), DirectiveSupport.Accepted);
        Add("proxy_set_body", Hsl, Take1, Slots.Str(S.SetBody));
        Add("proxy_method", Hsl, Take1, call => ComplexValue(call, S.Method), DirectiveSupport.Implemented);
        Add("proxy_pass_request_headers", Hsl, DirectiveArity.Flag, Slots.Flag(S.PassRequestHeaders), DirectiveSupport.Implemented);
        Add("proxy_pass_request_body", Hsl, DirectiveArity.Flag, Slots.Flag(S.PassRequestBody), DirectiveSupport.Implemented);
        Add("proxy_buffer_size", Hsl, Take1, Slots.Size(S.BufferSize), DirectiveSupport.Implemented);
        Add("proxy_read_timeout", Hsl, Take1, Slots.Msec(S.ReadTimeout), DirectiveSupport.Implemented);
        Add("proxy_buffers", Hsl, Take2, Slots.Buffers(S.Buffers), DirectiveSupport.Implemented);
        Add("proxy_busy_buffers_size", Hsl, Take1, call => OptionalSize(call, S.BusyBuffersSize), DirectiveSupport.Implemented);
        Add("proxy_force_ranges", Hsl, DirectiveArity.Flag, Slots.Flag(S.ForceRanges));
        Add("proxy_limit_rate", Hsl, Take1, Slots.Size(S.LimitRate));
        ProxyCacheDirectives.Register(Add);
        Add("proxy_temp_path", Hsl, Take1234, Slots.Path(S.TempPath), DirectiveSupport.Implemented);
        Add("proxy_max_temp_file_size", Hsl, Take1, call => OptionalSize(call, S.MaxTempFileSize), DirectiveSupport.Implemented);
        Add("proxy_temp_file_write_size", Hsl, Take1, call => OptionalSize(call, S.TempFileWriteSize), DirectiveSupport.Implemented);
        Add("proxy_next_upstream", Hsl, OneOrMore, Slots.Bitmask(S.NextUpstream, ProxyMasks.NextUpstream), DirectiveSupport.Implemented);
        Add("proxy_next_upstream_tries", Hsl, Take1, Slots.Number(S.NextUpstreamTries), DirectiveSupport.Implemented);
        Add("proxy_next_upstream_timeout", Hsl, Take1, Slots.Msec(S.NextUpstreamTimeout), DirectiveSupport.Implemented);
        Add("proxy_pass_header", Hsl, Take1, Slots.StrArray(S.PassHeaders), DirectiveSupport.Implemented);
        Add("proxy_hide_header", Hsl, Take1, Slots.StrArray(S.HideHeaders), DirectiveSupport.Implemented);
        Add("proxy_ignore_headers", Hsl, OneOrMore, Slots.Bitmask(S.IgnoreHeaders, ProxyMasks.IgnoreHeaders), DirectiveSupport.Implemented);
        Add("proxy_http_version", Hsl, Take1, Slots.Enum(S.HttpVersion, ProxyMasks.HttpVersions), DirectiveSupport.Implemented);
        Add("proxy_ssl_session_reuse", Hsl, DirectiveArity.Flag, Slots.Flag(S.SslSessionReuse));
        Add("proxy_ssl_protocols", Hsl, OneOrMore, Slots.Bitmask(S.SslProtocols, ProxyMasks.SslProtocols));
        Add("proxy_ssl_ciphers", Hsl, Take1, Slots.Str(S.SslCiphers));
        Add("proxy_ssl_name", Hsl, Take1, call => ComplexValue(call, S.SslName));
        Add("proxy_ssl_server_name", Hsl, DirectiveArity.Flag, Slots.Flag(S.SslServerName));
        Add("proxy_ssl_verify", Hsl, DirectiveArity.Flag, Slots.Flag(S.SslVerify));
        Add("proxy_ssl_verify_depth", Hsl, Take1, Slots.Number(S.SslVerifyDepth));
        Add("proxy_ssl_trusted_certificate", Hsl, Take1, Slots.Str(S.SslTrustedCertificate));
        Add("proxy_ssl_crl", Hsl, Take1, Slots.Str(S.SslCrl));
        Add("proxy_ssl_certificate", Hsl, Take1, call => ComplexValue(call, S.SslCertificate));
        Add("proxy_ssl_certificate_key", Hsl, Take1, call => ComplexValue(call, S.SslCertificateKey));
        Add("proxy_ssl_password_file", Hsl, Take1, SslPasswordFile);
        Add("proxy_ssl_conf_command", Hsl, Take2, Slots.KeyValue(S.SslConfCommands));
    }

    /// <summary>
    /// <c>proxy_pass URL</c>. With variables the URL is compiled for per-request evaluation; otherwise it names
    /// an upstream group now (a block, or an implicit group for the host and port).
    /// </summary>
    private static void Pass(DirectiveCall call)
    {
        call.EnsureNotSet(S.Pass);
        call.Compiler.State<ProxyConfState>().PassScopes.Add(call.Scope);
        var url = call.Args[0];
        if (VariableTemplate.HasVariables(url))
        {
            call.Set<ProxyPass?>(S.Pass, new VariableProxyPass(url, call.Template(url)));
            return;
        }

        var (schemeLength, defaultPort) = url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? (7, 80)
            : url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? (8, 443)
            : throw call.Error("invalid URL prefix");

        var address = NginxUrl.Parse(
            url[schemeLength..],
            new UrlParseOptions { UriPart = true, NoResolve = true, DefaultPort = defaultPort },
            call.Compiler.Environment.Resolver);
        if (!address.Ok)
        {
            throw call.Error($"{address.Error} in upstream \"{address.Url}\"");
        }

        var upstream = call.Compiler.State<UpstreamRegistry>().Reference(address, call.Location);
        var location = call.Scope.Owner as LocationBuilder;
        var prefixReplaceable = call.Scope.Kind == DirectiveContext.Location && location?.Kind is not (LocationKind.Regex or LocationKind.Named);
        if (!prefixReplaceable && address.Uri.Length > 0)
        {
            throw call.Error("\"proxy_pass\" cannot have URI part in location given by regular expression, "
                + "or inside named location, or inside \"if\" statement, or inside \"limit_except\" block");
        }

        var (hostHeader, port) = ProxyPassVariables.Of(address, defaultPort);

        call.Set<ProxyPass?>(S.Pass, new StaticProxyPass(
            url, schemeLength == 8, upstream, hostHeader, port, address.Uri, prefixReplaceable ? location?.Name : null));
    }

    private static void Store(DirectiveCall call)
    {
        call.EnsureNotSet(S.Store);
        var value = call.Args[0];
        if (value == "off")
        {
            call.Set<ProxyStore?>(S.Store, new ProxyStore(false, null));
            return;
        }

        if (call.Scope.TryGetHere(S.Cache, out var cache) && cache is { Enabled: true })
        {
            throw call.DirectiveError("is incompatible with \"proxy_cache\"");
        }

        call.Set<ProxyStore?>(S.Store, new ProxyStore(true, value == "on" ? null : call.Template(value)));
    }

    /// <summary><c>proxy_store_access user:rw group:r all:r</c> into a file mode (nginx's <c>ngx_conf_set_access_slot</c>).</summary>
    private static void StoreAccess(DirectiveCall call)
    {
        call.EnsureNotSet(S.StoreAccess);
        var access = 0;
        var user = Convert.ToInt32("600", 8);
        foreach (var value in call.Args)
        {
            var (shift, rights) = value.StartsWith("user:", StringComparison.Ordinal) ? (6, value[5..])
                : value.StartsWith("group:", StringComparison.Ordinal) ? (3, value[6..])
                : value.StartsWith("all:", StringComparison.Ordinal) ? (0, value[4..])
                : (-1, "");
            var right = rights switch
            {
                "rw" => 6,
                "r" => 4,
                _ => 0,
            };
            if (shift < 0 || right == 0)
            {
                throw call.Error($"invalid value \"{value}\"");
            }

            if (shift == 6)
            {
                user = 0;
            }

            access |= right << shift;
        }

        call.Set(S.StoreAccess, access | user);
    }

    /// <summary><c>proxy_bind address [transparent] | off</c> (nginx's <c>ngx_http_upstream_bind_set_slot</c>).</summary>
    private static void Bind(DirectiveCall call)
    {
        call.EnsureNotSet(S.Bind);
        var value = call.Args[0];
        if (call.Args.Length == 1 && value == "off")
        {
            call.Set<ProxyBind?>(S.Bind, new ProxyBind(null, false));
            return;
        }

        var address = call.Template(value);
        if (address.IsLiteral && !IsAddressWithOptionalPort(value))
        {
            throw call.Error($"invalid address \"{value}\"");
        }

        if (call.Args.Length == 2 && call.Args[1] != "transparent")
        {
            throw call.Error($"invalid parameter \"{call.Args[1]}\"");
        }

        call.Set<ProxyBind?>(S.Bind, new ProxyBind(address, call.Args.Length == 2));
    }

    /// <summary>nginx's <c>ngx_parse_addr_port</c>: an IPv4 or IPv6 address, optionally with a port (<c>[v6]:port</c>).</summary>
    private static bool IsAddressWithOptionalPort(string text)
    {
        if (IsAddress(text))
        {
            return true;
        }

        int colon;
        var host = text;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close == text.Length - 1 || text[close + 1] != ':')
            {
                return false;
            }

            colon = close + 1;
            host = text[1..close];
        }
        else
        {
            colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return false;
            }

            host = text[..colon];
        }

        return NginxValues.TryParseNumber(text.AsSpan(colon + 1), out var port) && port is >= 1 and <= 65535 && IsAddress(host);
    }

    /// <summary>A bare IPv4 or IPv6 address: no brackets, no scope id.</summary>
    private static bool IsAddress(string text) =>
        NginxUrl.TryParseIPv4(text, out _)
        || (text.IndexOfAny(['[', '%']) < 0
            && System.Net.IPAddress.TryParse(text, out var v6)
            && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6);

    /// <summary>nginx reads the pass phrases when it reads the directive, so a missing file fails the configuration at once.</summary>
    private static void SslPasswordFile(DirectiveCall call)
    {
        call.EnsureNotSet(S.SslPasswordFile);
        var path = call.Compiler.Environment.FullConfPath(call.Args[0]);
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var (errno, text) = Hosting.Errno.From(e);
            throw call.Error($"open() \"{path}\" failed ({errno}: {text})");
        }

        call.Set(S.SslPasswordFile, path);
    }

    /// <summary>SO_SNDLOWAT cannot be set on Linux: nginx takes the size and warns that it ignores it.</summary>
    private static void SendLowat(DirectiveCall call)
    {
        call.EnsureNotSet(S.SendLowat);
        call.Set(S.SendLowat, call.ParseSize(call.Args[0]));
        call.Warn("\"proxy_send_lowat\" is not supported, ignored");
    }

    /// <summary>A size whose absence nginx fills in from other settings when it merges.</summary>
    private static void OptionalSize(DirectiveCall call, Setting<long?> setting)
    {
        call.EnsureNotSet(setting);
        call.Set<long?>(setting, call.ParseSize(call.Args[0]));
    }

    /// <summary>A string with variables (nginx's <c>ngx_http_set_complex_value_slot</c>).</summary>
    internal static void ComplexValue(DirectiveCall call, Setting<VariableTemplate?> setting)
    {
        call.EnsureNotSet(setting);
        call.Set(setting, call.Template(call.Args[0]));
    }
}
