using System.Net;
using System.Net.Sockets;
using Sluice.Configuration;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using Sluice.Core;
using static Sluice.Configuration.Directives.DirectiveArity;
using static Sluice.Configuration.Directives.DirectiveContext;
using S = Sluice.Http.Configuration.HttpCoreSettings;

namespace Sluice.Http.Configuration;

/// <summary>
/// The <c>http</c>, <c>server</c> and <c>location</c> blocks and the directives of nginx's http core,
/// index and try_files modules, validated with nginx's rules and messages.
/// </summary>
internal static class HttpCoreDirectives
{
    private const DirectiveContext Hsl = HttpServerLocation;
    private const DirectiveSupport Later = DirectiveSupport.NotImplemented;

    public static void Register(DirectiveTable t)
    {
        void Add(string name, DirectiveContext contexts, DirectiveArity arity, DirectiveHandler handler, DirectiveSupport support = Later) =>
            t.Add(new DirectiveSpec(name, contexts, arity, handler, support) { Module = "http_core" });

        Add("http", Main, Block | NoArgs, HttpBlock, DirectiveSupport.Implemented);
        Add("variables_hash_max_size", DirectiveContext.Http, Take1, Slots.Number(S.VariablesHashMaxSize), DirectiveSupport.Accepted);
        Add("variables_hash_bucket_size", DirectiveContext.Http, Take1, Slots.Number(S.VariablesHashBucketSize), DirectiveSupport.Accepted);
        Add("server_names_hash_max_size", DirectiveContext.Http, Take1, Slots.Number(S.ServerNamesHashMaxSize), DirectiveSupport.Accepted);
        Add("server_names_hash_bucket_size", DirectiveContext.Http, Take1, Slots.Number(S.ServerNamesHashBucketSize), DirectiveSupport.Accepted);
        Add("server", DirectiveContext.Http, Block | NoArgs, ServerBlock, DirectiveSupport.Implemented);
        Add("connection_pool_size", HttpServer, Take1, Slots.Size(S.ConnectionPoolSize), DirectiveSupport.Accepted);
        Add("request_pool_size", HttpServer, Take1, Slots.Size(S.RequestPoolSize), DirectiveSupport.Accepted);
        Add("client_header_timeout", HttpServer, Take1, Slots.Msec(S.ClientHeaderTimeout), DirectiveSupport.Implemented);
        Add("client_header_buffer_size", HttpServer, Take1, Slots.Size(S.ClientHeaderBufferSize), DirectiveSupport.Accepted);
        Add("large_client_header_buffers", HttpServer, Take2, Slots.Buffers(S.LargeClientHeaderBuffers), DirectiveSupport.Implemented);
        Add("ignore_invalid_headers", HttpServer, DirectiveArity.Flag, Slots.Flag(S.IgnoreInvalidHeaders));
        Add("merge_slashes", HttpServer, DirectiveArity.Flag, Slots.Flag(S.MergeSlashes), DirectiveSupport.Implemented);
        Add("underscores_in_headers", HttpServer, DirectiveArity.Flag, Slots.Flag(S.UnderscoresInHeaders));
        Add("location", ServerLocation, Block | Take12, LocationBlock, DirectiveSupport.Implemented);
        Add("listen", DirectiveContext.Server, OneOrMore, Listen, DirectiveSupport.Implemented);
        Add("server_name", DirectiveContext.Server, OneOrMore, ServerName, DirectiveSupport.Implemented);
        Add("types_hash_max_size", Hsl, Take1, Slots.Number(S.TypesHashMaxSize), DirectiveSupport.Accepted);
        Add("types_hash_bucket_size", Hsl, Take1, Slots.Number(S.TypesHashBucketSize), DirectiveSupport.Accepted);
        Add("types", Hsl, Block | NoArgs, Types, DirectiveSupport.Implemented);
        Add("default_type", Hsl, Take1, Slots.Str(S.DefaultType), DirectiveSupport.Implemented);
        Add("root", Hsl | LocationIf, Take1, Root, DirectiveSupport.Implemented);
        Add("alias", DirectiveContext.Location, Take1, Root, DirectiveSupport.Implemented);
        Add("limit_except", DirectiveContext.Location, Block | OneOrMore, LimitExcept);
        Add("client_max_body_size", Hsl, Take1, Slots.Offset(S.ClientMaxBodySize), DirectiveSupport.Implemented);
        Add("client_body_buffer_size", Hsl, Take1, Slots.Size(S.ClientBodyBufferSize), DirectiveSupport.Implemented);
        Add("client_body_timeout", Hsl, Take1, Slots.Msec(S.ClientBodyTimeout), DirectiveSupport.Implemented);
        Add("client_body_temp_path", Hsl, Take1234, Slots.Path(S.ClientBodyTempPath), DirectiveSupport.Implemented);
        Add("client_body_in_file_only", Hsl, Take1, Slots.Enum(S.ClientBodyInFileOnly, Words("off", "on", "clean")));
        Add("client_body_in_single_buffer", Hsl, DirectiveArity.Flag, Slots.Flag(S.ClientBodyInSingleBuffer));
        Add("sendfile", Hsl | LocationIf, DirectiveArity.Flag, Slots.Flag(S.Sendfile), DirectiveSupport.Accepted);
        Add("sendfile_max_chunk", Hsl, Take1, Slots.Size(S.SendfileMaxChunk), DirectiveSupport.Accepted);
        Add("subrequest_output_buffer_size", Hsl, Take1, Slots.Size(S.SubrequestOutputBufferSize), DirectiveSupport.Accepted);
        Add("aio", Hsl, Take1, Aio, DirectiveSupport.Accepted);
        Add("aio_write", Hsl, DirectiveArity.Flag, Slots.Flag(S.AioWrite), DirectiveSupport.Accepted);
        Add("read_ahead", Hsl, Take1, Slots.Size(S.ReadAhead), DirectiveSupport.Accepted);
        Add("directio", Hsl, Take1, Directio, DirectiveSupport.Accepted);
        Add("directio_alignment", Hsl, Take1, Slots.Offset(S.DirectioAlignment), DirectiveSupport.Accepted);
        Add("tcp_nopush", Hsl, DirectiveArity.Flag, Slots.Flag(S.TcpNopush), DirectiveSupport.Accepted);
        Add("tcp_nodelay", Hsl, DirectiveArity.Flag, Slots.Flag(S.TcpNodelay), DirectiveSupport.Implemented);
        Add("send_timeout", Hsl, Take1, Slots.Msec(S.SendTimeout), DirectiveSupport.Implemented);
        Add("send_lowat", Hsl, Take1, SendLowat, DirectiveSupport.Accepted);
        Add("postpone_output", Hsl, Take1, Slots.Size(S.PostponeOutput), DirectiveSupport.Accepted);
        Add("limit_rate", Hsl | LocationIf, Take1, call => SizeTemplate(call, S.LimitRate));
        Add("limit_rate_after", Hsl | LocationIf, Take1, call => SizeTemplate(call, S.LimitRateAfter));
        Add("keepalive_time", Hsl, Take1, Slots.Msec(S.KeepaliveTime));
        Add("keepalive_timeout", Hsl, Take12, Keepalive, DirectiveSupport.Implemented);
        Add("keepalive_requests", Hsl, Take1, Slots.Number(S.KeepaliveRequests), DirectiveSupport.Implemented);
        Add("keepalive_disable", Hsl, Take12, Slots.Bitmask(S.KeepaliveDisable, Bits("none", "msie6", "safari")), DirectiveSupport.Accepted);
        Add("satisfy", Hsl, Take1, Slots.Enum(S.Satisfy, Words("all", "any")), DirectiveSupport.Accepted);
        Add("auth_delay", Hsl, Take1, Slots.Msec(S.AuthDelay));
        Add("internal", DirectiveContext.Location, NoArgs, Internal, DirectiveSupport.Implemented);
        Add("lingering_close", Hsl, Take1, Slots.Enum(S.LingeringClose, Words("off", "on", "always")), DirectiveSupport.Implemented);
        Add("lingering_time", Hsl, Take1, Slots.Msec(S.LingeringTime), DirectiveSupport.Implemented);
        Add("lingering_timeout", Hsl, Take1, Slots.Msec(S.LingeringTimeout), DirectiveSupport.Implemented);
        Add("reset_timedout_connection", Hsl, DirectiveArity.Flag, Slots.Flag(S.ResetTimedoutConnection), DirectiveSupport.Accepted);
        Add("absolute_redirect", Hsl, DirectiveArity.Flag, Slots.Flag(S.AbsoluteRedirect), DirectiveSupport.Implemented);
        Add("server_name_in_redirect", Hsl, DirectiveArity.Flag, Slots.Flag(S.ServerNameInRedirect), DirectiveSupport.Implemented);
        Add("port_in_redirect", Hsl, DirectiveArity.Flag, Slots.Flag(S.PortInRedirect), DirectiveSupport.Implemented);
        Add("msie_padding", Hsl, DirectiveArity.Flag, Slots.Flag(S.MsiePadding), DirectiveSupport.Accepted);
        Add("msie_refresh", Hsl, DirectiveArity.Flag, Slots.Flag(S.MsieRefresh), DirectiveSupport.Accepted);
        Add("log_not_found", Hsl, DirectiveArity.Flag, Slots.Flag(S.LogNotFound), DirectiveSupport.Implemented);
        Add("log_subrequest", Hsl, DirectiveArity.Flag, Slots.Flag(S.LogSubrequest), DirectiveSupport.Accepted);
        Add("recursive_error_pages", Hsl, DirectiveArity.Flag, Slots.Flag(S.RecursiveErrorPages), DirectiveSupport.Implemented);
        Add("server_tokens", Hsl, Take1, Slots.Enum(S.ServerTokens, Words("off", "on", "build")), DirectiveSupport.Implemented);
        Add("if_modified_since", Hsl, Take1, Slots.Enum(S.IfModifiedSince, Words("off", "exact", "before")), DirectiveSupport.Implemented);
        Add("max_ranges", Hsl, Take1, Slots.Number(S.MaxRanges), DirectiveSupport.Implemented);
        Add("chunked_transfer_encoding", Hsl, DirectiveArity.Flag, Slots.Flag(S.ChunkedTransferEncoding));
        Add("etag", Hsl, DirectiveArity.Flag, Slots.Flag(S.Etag), DirectiveSupport.Implemented);
        Add("error_page", Hsl | LocationIf, TwoOrMore, ErrorPage, DirectiveSupport.Implemented);
        Add("post_action", Hsl | LocationIf, Take1, call => { call.EnsureNotSet(S.PostAction); call.Set<Variables.VariableTemplate?>(S.PostAction, call.Template(call.Args[0])); });
        Add("error_log", Hsl, OneOrMore, call => CoreDirectives.ErrorLog(call, S.ErrorLogs), DirectiveSupport.Implemented);
        Add("open_file_cache", Hsl, Take12, OpenFileCache, DirectiveSupport.Accepted);
        Add("open_file_cache_valid", Hsl, Take1, Slots.Sec(S.OpenFileCacheValid), DirectiveSupport.Accepted);
        Add("open_file_cache_min_uses", Hsl, Take1, Slots.Number(S.OpenFileCacheMinUses), DirectiveSupport.Accepted);
        Add("open_file_cache_errors", Hsl, DirectiveArity.Flag, Slots.Flag(S.OpenFileCacheErrors), DirectiveSupport.Accepted);
        Add("open_file_cache_events", Hsl, DirectiveArity.Flag, Slots.Flag(S.OpenFileCacheEvents), DirectiveSupport.Accepted);
        Add("resolver", Hsl, OneOrMore, Resolver);
        Add("resolver_timeout", Hsl, Take1, Slots.Msec(S.ResolverTimeout));
        Add("gzip_vary", Hsl, DirectiveArity.Flag, Slots.Flag(S.GzipVary));
        Add("gzip_http_version", Hsl, Take1, Slots.Enum(S.GzipHttpVersion, Words("1.0", "1.1")));
        Add("gzip_proxied", Hsl, OneOrMore, Slots.Bitmask(S.GzipProxied, Bits("off", "expired", "no-cache", "no-store", "private", "no_last_modified", "no_etag", "auth", "any")));
        Add("gzip_disable", Hsl, OneOrMore, GzipDisable);
        Add("disable_symlinks", Hsl, Take12, DisableSymlinks);

        t.Add(new DirectiveSpec("index", Hsl, OneOrMore, Index, DirectiveSupport.Implemented) { Module = "http_index" });
        t.Add(new DirectiveSpec("try_files", ServerLocation, TwoOrMore, TryFiles, Later) { Module = "http_try_files" });
    }

    internal static IReadOnlyDictionary<string, string> Words(params string[] words) => words.ToDictionary(w => w, w => w, StringComparer.Ordinal);

    internal static IReadOnlyDictionary<string, int> Bits(params string[] words)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < words.Length; i++)
        {
            map[words[i]] = 1 << i;
        }

        return map;
    }

    private static void HttpBlock(DirectiveCall call)
    {
        var state = call.Http();
        if (state.Http is not null)
        {
            throw call.Duplicate();
        }

        var scope = new ConfScope(DirectiveContext.Http, call.Scope, call.Location);
        state.Http = scope;
        state.BlockEnd = call.Directive.BlockEnd;
        state.AfterHttp(HttpOrder.Locations, () => CheckDuplicateLocations(state));
        state.AfterHttp(HttpOrder.Variables, state.Variables.CheckAllKnown);
        state.AfterHttp(HttpOrder.Servers, () => CheckServerNames(call.Compiler, state));
        call.WalkBlock(scope);
        state.RunAfterHttp();
    }

    private static void ServerBlock(DirectiveCall call)
    {
        var state = call.Http();
        var scope = new ConfScope(DirectiveContext.Server, call.Scope, call.Location);
        var server = new ServerBuilder(scope, state.Servers.Count);
        scope.Owner = server;
        state.Servers.Add(server);
        call.WalkBlock(scope);

        if (!server.HasListen)
        {
            // nginx's implicit listen: *:80 for root, *:8000 otherwise.
            var port = call.Compiler.Environment.IsSuperUser ? 80 : 8000;
            AddListen(call, server, new ListenOptions
            {
                EndPoint = new IPEndPoint(IPAddress.Any, port),
                AddressText = $"0.0.0.0:{port}",
                Wildcard = true,
                Location = call.Location,
            });
        }
    }

    private static void LocationBlock(DirectiveCall call)
    {
        var args = call.Args;
        string name;
        var kind = LocationKind.Prefix;
        System.Text.RegularExpressions.Regex? regex = null;
        var caseless = false;

        if (args.Length == 2)
        {
            var modifier = args[0];
            name = args[1];
            switch (modifier)
            {
                case "=":
                    kind = LocationKind.Exact;
                    break;
                case "^~":
                    kind = LocationKind.PrefixNoRegex;
                    break;
                case "~":
                    kind = LocationKind.Regex;
                    regex = call.CompileHttpRegex(name, caseless: false);
                    break;
                case "~*":
                    kind = LocationKind.Regex;
                    caseless = true;
                    regex = call.CompileHttpRegex(name, caseless: true);
                    break;
                default:
                    throw call.Error($"invalid location modifier \"{modifier}\"");
            }
        }
        else
        {
            name = args[0];
            if (name.StartsWith('='))
            {
                name = name[1..];
                kind = LocationKind.Exact;
            }
            else if (name.StartsWith("^~", StringComparison.Ordinal))
            {
                name = name[2..];
                kind = LocationKind.PrefixNoRegex;
            }
            else if (name.StartsWith('~'))
            {
                name = name[1..];
                kind = LocationKind.Regex;
                if (name.StartsWith('*'))
                {
                    name = name[1..];
                    caseless = true;
                }

                regex = call.CompileHttpRegex(name, caseless);
            }
            else if (name.StartsWith('@'))
            {
                kind = LocationKind.Named;
            }
        }

        var server = call.Server()!;
        var parent = call.Scope.Kind == DirectiveContext.Location ? call.Scope.Owner as LocationBuilder : null;
        if (parent is not null)
        {
            if (parent.Kind == LocationKind.Exact)
            {
                throw call.Error($"location \"{name}\" cannot be inside the exact location \"{parent.Name}\"");
            }

            if (parent.Kind == LocationKind.Named)
            {
                throw call.Error($"location \"{name}\" cannot be inside the named location \"{parent.Name}\"");
            }

            if (kind == LocationKind.Named)
            {
                throw call.Error($"named location \"{name}\" can be on the server level only");
            }

            if (kind != LocationKind.Regex && !name.StartsWith(parent.Name, StringComparison.Ordinal))
            {
                throw call.Error($"location \"{name}\" is outside location \"{parent.Name}\"");
            }
        }

        var scope = new ConfScope(DirectiveContext.Location, call.Scope, call.Location);
        var location = new LocationBuilder(scope, name, kind, regex, server, parent) { Caseless = caseless };
        scope.Owner = location;
        (parent?.Children ?? server.Locations).Add(location);
        call.WalkBlock(scope);
    }

    private static void LimitExcept(DirectiveCall call)
    {
        var owner = call.Scope.Owner as LocationBuilder;
        if (call.Scope.IsSetHere(LimitExceptSeen))
        {
            throw call.Duplicate();
        }

        call.Set(LimitExceptSeen, true);
        foreach (var method in call.Args)
        {
            if (!HttpMethods.Any(m => string.Equals(m, method, StringComparison.OrdinalIgnoreCase)))
            {
                throw call.Error($"invalid method \"{method}\"");
            }
        }

        var scope = new ConfScope(DirectiveContext.LimitExcept, call.Scope, call.Location);
        if (owner is not null)
        {
            scope.Owner = new LocationBuilder(scope, owner.Name, owner.Kind, owner.Regex, owner.Server, owner);
        }

        call.WalkBlock(scope);
    }

    private static readonly Setting<bool> LimitExceptSeen = new("limit_except", false);

    /// <summary>nginx's <c>ngx_methods_names</c>.</summary>
    private static readonly string[] HttpMethods =
    [
        "GET", "HEAD", "POST", "PUT", "DELETE", "MKCOL", "COPY", "MOVE", "OPTIONS", "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "PATCH",
    ];

    private static void Listen(DirectiveCall call)
    {
        var server = call.Server()!;
        server.HasListen = true;
        var url = NginxUrl.Parse(call.Args[0], new UrlParseOptions { Listen = true, DefaultPort = 80 }, call.Compiler.Environment.Resolver);
        if (!url.Ok)
        {
            throw call.Error($"{url.Error} in \"{url.Url}\" of the \"listen\" directive");
        }

        var options = new ListenOptions { EndPoint = url.Addresses.Count > 0 ? url.Addresses[0] : new IPEndPoint(IPAddress.Any, url.Port), AddressText = "", Location = call.Location };
        for (var i = 1; i < call.Args.Length; i++)
        {
            var p = call.Args[i];
            if (p is "default_server" or "default")
            {
                options = options with { DefaultServer = true };
            }
            else if (p == "bind")
            {
                options = options with { SetsSocketOptions = true, Bind = true };
            }
            else if (p.StartsWith("setfib=", StringComparison.Ordinal))
            {
                throw call.Error($"invalid parameter \"{p}\"");
            }
            else if (p.StartsWith("fastopen=", StringComparison.Ordinal))
            {
                if (!NginxValues.TryParseInt(p.AsSpan(9), out _))
                {
                    throw call.Error($"invalid fastopen \"{p}\"");
                }

                options = options with { SetsSocketOptions = true, Bind = true };
            }
            else if (p.StartsWith("backlog=", StringComparison.Ordinal))
            {
                if (!NginxValues.TryParseInt(p.AsSpan(8), out var backlog) || backlog == 0)
                {
                    throw call.Error($"invalid backlog \"{p}\"");
                }

                options = options with { Backlog = backlog, SetsSocketOptions = true, Bind = true };
            }
            else if (p.StartsWith("rcvbuf=", StringComparison.Ordinal) || p.StartsWith("sndbuf=", StringComparison.Ordinal))
            {
                if (!NginxValues.TryParseSize(p.AsSpan(7), out var size))
                {
                    throw call.Error($"invalid {p[..6]} \"{p}\"");
                }

                options = p[0] == 'r'
                    ? options with { ReceiveBuffer = size, SetsSocketOptions = true, Bind = true }
                    : options with { SendBuffer = size, SetsSocketOptions = true, Bind = true };
            }
            else if (p.StartsWith("accept_filter=", StringComparison.Ordinal))
            {
                throw call.Error($"accept filters \"{p}\" are not supported on this platform, ignored");
            }
            else if (p == "deferred")
            {
                options = options with { Deferred = true, SetsSocketOptions = true, Bind = true };
            }
            else if (p.StartsWith("ipv6only=o", StringComparison.Ordinal))
            {
                var rest = p[10..];
                if (rest is not ("n" or "ff"))
                {
                    throw call.Error($"invalid ipv6only flags \"{p[9..]}\"");
                }

                options = options with { Ipv6Only = rest == "n", SetsSocketOptions = true, Bind = true };
            }
            else if (p == "reuseport")
            {
                options = options with { ReusePort = true, SetsSocketOptions = true, Bind = true };
            }
            else if (p == "ssl")
            {
                options = options with { Ssl = true };
            }
            else if (p == "http2")
            {
                options = options with { Http2 = true };
            }
            else if (p.StartsWith("so_keepalive=", StringComparison.Ordinal))
            {
                options = options with { SoKeepalive = ParseSoKeepalive(call, p), SetsSocketOptions = true, Bind = true };
            }
            else if (p == "proxy_protocol")
            {
                options = options with { ProxyProtocol = true };
            }
            else
            {
                throw call.Error($"invalid parameter \"{p}\"");
            }
        }

        if (options.Ssl)
        {
            server.HasSslListen = true;
        }

        foreach (var endPoint in url.Addresses)
        {
            AddListen(call, server, options with
            {
                EndPoint = endPoint,
                AddressText = AddressText(endPoint),
                Wildcard = IsWildcard(endPoint),
            });
        }
    }

    private static bool ParseSoKeepalive(DirectiveCall call, string p)
    {
        var value = p[13..];
        if (value == "on")
        {
            return true;
        }

        if (value == "off")
        {
            return false;
        }

        var parts = value.Split(':');
        var idle = parts.Length > 0 && parts[0].Length > 0 ? (NginxValues.TryParseSeconds(parts[0], out var i1) ? i1 : -1) : 0;
        var interval = parts.Length > 1 && parts[1].Length > 0 ? (NginxValues.TryParseSeconds(parts[1], out var i2) ? i2 : -1) : 0;
        var count = parts.Length > 2 && parts[2].Length > 0 ? (NginxValues.TryParseNumber(string.Join(':', parts.Skip(2)), out var c) ? c : -1) : 0;
        if (idle < 0 || interval < 0 || count < 0 || (idle == 0 && interval == 0 && count == 0))
        {
            throw call.Error($"invalid so_keepalive value: \"{value}\"");
        }

        return true;
    }

    /// <summary>nginx's <c>ngx_sock_ntop</c> with port: <c>127.0.0.1:80</c>, <c>[::1]:80</c>, <c>unix:/path</c>.</summary>
    internal static string AddressText(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip => $"[{ip.Address}]:{ip.Port}",
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        UnixDomainSocketEndPoint unix => $"unix:{unix}",
        _ => endPoint.ToString() ?? "",
    };

    private static bool IsWildcard(EndPoint endPoint) =>
        endPoint is IPEndPoint ip && (ip.Address.Equals(IPAddress.Any) || ip.Address.Equals(IPAddress.IPv6Any));

    /// <summary>nginx's <c>ngx_http_add_listen</c>: group by port, merge same address, enforce one default server.</summary>
    private static void AddListen(DirectiveCall call, ServerBuilder server, ListenOptions options)
    {
        var state = call.Http();
        var family = options.EndPoint.AddressFamily;
        var port = options.EndPoint is IPEndPoint ip ? ip.Port : 0;
        var portGroup = state.Ports.Find(p => p.Port == port && p.Family == family);
        if (portGroup is null)
        {
            portGroup = new ListenPortBuilder(family, port);
            state.Ports.Add(portGroup);
        }

        var existing = portGroup.Addresses.Find(a => a.Options.EndPoint.Equals(options.EndPoint));
        if (existing is null)
        {
            var address = new ListenAddressBuilder(options, server);
            address.Servers.Add(server);
            portGroup.Addresses.Add(address);
            return;
        }

        if (!existing.Servers.Contains(server))
        {
            existing.Servers.Add(server);
        }
        else
        {
            throw call.Error($"a duplicate listen {existing.Options.AddressText}");
        }

        var defaultServer = existing.Options.DefaultServer;
        var merged = existing.Options with
        {
            ProxyProtocol = options.ProxyProtocol || existing.Options.ProxyProtocol,
            Ssl = options.Ssl || existing.Options.Ssl,
            Http2 = options.Http2 || existing.Options.Http2,
        };

        if (options.SetsSocketOptions)
        {
            if (existing.Options.SetsSocketOptions)
            {
                throw call.Error($"duplicate listen options for {existing.Options.AddressText}");
            }

            merged = options with
            {
                ProxyProtocol = merged.ProxyProtocol,
                Ssl = merged.Ssl,
                Http2 = merged.Http2,
            };
        }

        if (options.DefaultServer)
        {
            if (defaultServer)
            {
                throw call.Error($"a duplicate default server for {existing.Options.AddressText}");
            }

            defaultServer = true;
            existing.DefaultServer = server;
        }

        existing.Options = merged with { DefaultServer = defaultServer };
    }

    private static void ServerName(DirectiveCall call)
    {
        var server = call.Server()!;
        foreach (var raw in call.Args)
        {
            var value = raw;
            if ((value.StartsWith('*') && (value.Length < 3 || value[1] != '.')) || (value.StartsWith('.') && value.Length < 2))
            {
                throw call.Error($"server name \"{value}\" is invalid");
            }

            if (value.Contains('/', StringComparison.Ordinal))
            {
                call.Warn($"server name \"{value}\" has suspicious symbols");
            }

            if (string.Equals(value, "$hostname", StringComparison.OrdinalIgnoreCase))
            {
                value = Environment.MachineName;
            }

            if (!value.StartsWith('~'))
            {
                server.Names.Add(new ServerNameEntry(value.ToLowerInvariant(), null, call.Location));
                continue;
            }

            if (value.Length == 1)
            {
                throw call.Error($"empty regex in server name \"{value}\"");
            }

            var pattern = value[1..];
            var caseless = pattern.Any(char.IsAsciiLetterUpper);
            var regex = call.CompileHttpRegex(pattern, caseless);
            server.Names.Add(new ServerNameEntry(pattern, regex, call.Location));
        }
    }

    private static void Types(DirectiveCall call)
    {
        var map = call.Scope.TryGetHere(S.Types, out var existing) && existing is Dictionary<string, string> d
            ? d
            : new Dictionary<string, string>(StringComparer.Ordinal);
        call.Scope.Replace<IReadOnlyDictionary<string, string>?>(S.Types, map, call.Location);
        ReadTypes(call, call.Directive.Block ?? [], map);
    }

    /// <summary>The body of <c>types { }</c>: "content/type ext ext;" lines, and <c>include</c> (nginx's custom handler).</summary>
    private static void ReadTypes(DirectiveCall call, IEnumerable<Sluice.Configuration.Syntax.ConfigNode> nodes, Dictionary<string, string> map)
    {
        foreach (var node in nodes)
        {
            if (node is Sluice.Configuration.Syntax.ConfigError error)
            {
                throw error.ToException();
            }

            var line = (Sluice.Configuration.Syntax.ConfigDirective)node;
            if (line.HasBlock)
            {
                throw new ConfigException("unexpected \"{\"", line.Location);
            }

            if (line.Name == "include")
            {
                if (line.Args.Length != 1)
                {
                    throw new ConfigException("invalid number of arguments in \"include\" directive", line.Location);
                }

                foreach (var file in line.Included ?? [])
                {
                    ReadTypes(call, file.Nodes, map);
                }

                if (line.IncludeError is { } includeError)
                {
                    throw includeError.ToException();
                }

                continue;
            }

            foreach (var extension in line.Args)
            {
                var key = extension.ToLowerInvariant();
                if (map.TryGetValue(key, out var previous))
                {
                    call.Compiler.Warn($"duplicate extension \"{key}\", content type: \"{line.Name}\", previous content type: \"{previous}\"", line.Location);
                }

                map[key] = line.Name;
            }
        }
    }

    private static void Root(DirectiveCall call)
    {
        var isAlias = call.Name == "alias";
        if (call.Scope.TryGetHere(S.Root, out var existing) && existing is not null)
        {
            if (existing.IsAlias == isAlias)
            {
                throw call.Duplicate();
            }

            throw call.Error($"\"{call.Name}\" directive is duplicate, \"{(existing.IsAlias ? "alias" : "root")}\" directive was specified earlier");
        }

        var location = call.Scope.Owner as LocationBuilder;
        if (isAlias && location?.Kind == LocationKind.Named)
        {
            throw call.Error("the \"alias\" directive cannot be used inside the named location");
        }

        var value = call.Args[0];
        foreach (var forbidden in new[] { "document_root", "realpath_root" })
        {
            if (value.Contains("$" + forbidden, StringComparison.Ordinal) || value.Contains("${" + forbidden + "}", StringComparison.Ordinal))
            {
                throw call.Error($"the ${forbidden} variable cannot be used in the \"{call.Name}\" directive");
            }
        }

        if (!isAlias && value.Length > 0 && value[^1] == '/')
        {
            value = value[..^1];
        }

        if (!value.StartsWith('$'))
        {
            value = call.Compiler.Environment.FullPath(value);
        }

        call.Scope.Replace<RootSpec?>(S.Root, new RootSpec(call.Template(value), isAlias), call.Location);
    }

    private static void Keepalive(DirectiveCall call)
    {
        call.EnsureNotSet(S.KeepaliveTimeout);
        var timeout = call.ParseMsec(call.Args[0]);
        TimeSpan? header = null;
        if (call.Args.Length == 2)
        {
            header = call.ParseSec(call.Args[1]);
        }

        call.Set(S.KeepaliveTimeout, new KeepaliveTimeout(timeout, header));
    }

    private static void Internal(DirectiveCall call)
    {
        call.EnsureNotSet(S.Internal);
        call.Set(S.Internal, true);
        if (call.Scope.Owner is LocationBuilder location)
        {
            location.Internal = true;
        }
    }

    private static void SizeTemplate(DirectiveCall call, Setting<Variables.VariableTemplate?> setting)
    {
        call.EnsureNotSet(setting);
        var value = call.Args[0];
        if (!Variables.VariableTemplate.HasVariables(value) && !NginxValues.TryParseSize(value, out _))
        {
            throw call.Error($"invalid size \"{value}\"");
        }

        call.Set(setting, call.Template(value));
    }

    private static void SendLowat(DirectiveCall call)
    {
        call.EnsureNotSet(S.SendLowat);
        call.Set(S.SendLowat, call.ParseSize(call.Args[0]));
        call.Warn("\"send_lowat\" is not supported, ignored");
    }

    private static void Aio(DirectiveCall call)
    {
        call.EnsureNotSet(S.Aio);
        var value = call.Args[0];
        if (value is not ("on" or "off" or "threads") && !value.StartsWith("threads=", StringComparison.Ordinal))
        {
            throw call.Error($"invalid value \"{value}\"");
        }

        call.Set(S.Aio, value);
    }

    private static void Directio(DirectiveCall call)
    {
        call.EnsureNotSet(S.Directio);
        call.Set<long?>(S.Directio, call.Args[0] == "off" ? null : call.ParseOffset(call.Args[0]));
    }

    private static void ErrorPage(DirectiveCall call)
    {
        var words = call.Directive.WordCount;
        var value = call.Args;

        // value[i] in nginx is Args[i - 1]; i = nelts - 2 is the word before the URI.
        var i = words - 2;
        int? overwrite;
        int n;
        if (value[i - 1].StartsWith('='))
        {
            if (i == 1)
            {
                throw call.Error($"invalid value \"{value[i - 1]}\"");
            }

            if (value[i - 1].Length > 1)
            {
                if (!NginxValues.TryParseInt(value[i - 1].AsSpan(1), out var code))
                {
                    throw call.Error($"invalid value \"{value[i - 1]}\"");
                }

                overwrite = code;
            }
            else
            {
                overwrite = 0;
            }

            n = 2;
        }
        else
        {
            overwrite = null;
            n = 1;
        }

        var uriText = value[^1];
        var uri = call.Template(uriText);
        string? uriArgs = null;
        if (uri.IsLiteral && uriText.StartsWith('/'))
        {
            var question = uriText.IndexOf('?', StringComparison.Ordinal);
            if (question >= 0)
            {
                uriArgs = uriText[(question + 1)..];
                uri = Variables.VariableTemplate.Parse(uriText[..question], call.Location);
            }
        }

        var list = call.Scope.ListHere(S.ErrorPages);
        for (var k = 1; k < words - n; k++)
        {
            var text = value[k - 1];
            if (!NginxValues.TryParseInt(text, out var status) || status == 499)
            {
                throw call.Error($"invalid value \"{text}\"");
            }

            if (status is < 300 or > 599)
            {
                throw call.Error($"value \"{text}\" must be between 300 and 599");
            }

            var effective = overwrite;
            if (overwrite is null && status is 497 or 495 or 496 or 494)
            {
                effective = 400;
            }

            list.Add(new ErrorPageSpec(status, effective, uri, uriArgs));
        }
    }

    private static void OpenFileCache(DirectiveCall call)
    {
        call.EnsureNotSet(S.OpenFileCacheSet);
        long max = 0;
        var off = false;
        foreach (var value in call.Args)
        {
            if (value.StartsWith("max=", StringComparison.Ordinal) && NginxValues.TryParseNumber(value.AsSpan(4), out max) && max > 0)
            {
                continue;
            }

            if (value.StartsWith("inactive=", StringComparison.Ordinal) && NginxValues.TryParseSeconds(value.AsSpan(9), out _))
            {
                continue;
            }

            if (value == "off")
            {
                off = true;
                continue;
            }

            throw call.Error($"invalid \"open_file_cache\" parameter \"{value}\"");
        }

        if (!off && max == 0)
        {
            throw call.Error("\"open_file_cache\" must have the \"max\" parameter");
        }

        call.Set(S.OpenFileCacheSet, !off);
    }

    private static void Resolver(DirectiveCall call)
    {
        call.EnsureNotSet(S.Resolver);
        foreach (var value in call.Args)
        {
            if (value.StartsWith("valid=", StringComparison.Ordinal))
            {
                if (!NginxValues.TryParseSeconds(value.AsSpan(6), out _))
                {
                    throw call.Error($"invalid parameter: {value}");
                }

                continue;
            }

            if (value.StartsWith("ipv4=", StringComparison.Ordinal) || value.StartsWith("ipv6=", StringComparison.Ordinal))
            {
                var flag = value[5..];
                if (flag is not ("on" or "off"))
                {
                    throw call.Error($"invalid parameter: {value}");
                }

                continue;
            }

            if (value.StartsWith("status_zone=", StringComparison.Ordinal))
            {
                continue;
            }

            var url = NginxUrl.Parse(value, new UrlParseOptions { DefaultPort = 53 }, call.Compiler.Environment.Resolver);
            if (!url.Ok)
            {
                throw call.Error($"{url.Error} in resolver \"{value}\"");
            }
        }

        call.Set<IReadOnlyList<string>?>(S.Resolver, [.. call.Args]);
        call.NotImplemented("the \"resolver\" directive (runtime name resolution)");
    }

    private static void GzipDisable(DirectiveCall call)
    {
        foreach (var value in call.Args)
        {
            if (value is "msie6" or "degradation")
            {
                continue;
            }

            NginxRegex.Compile(value, caseless: true, call.Location);
        }

        call.Scope.Replace(S.GzipDisableSet, true, call.Location);
    }

    private static void DisableSymlinks(DirectiveCall call)
    {
        call.EnsureNotSet(S.DisableSymlinks);
        var mode = call.Args[0];
        if (mode is not ("off" or "on" or "if_not_owner"))
        {
            throw call.Error($"invalid value \"{mode}\"");
        }

        if (call.Args.Length == 2)
        {
            if (!call.Args[1].StartsWith("from=", StringComparison.Ordinal))
            {
                throw call.Error($"invalid parameter \"{call.Args[1]}\"");
            }

            if (mode == "off")
            {
                throw call.Error("\"from=\" cannot be used with \"off\" parameter");
            }

            call.Template(call.Args[1][5..]);
        }

        call.Set(S.DisableSymlinks, mode);
        if (mode != "off")
        {
            call.NotImplemented("the \"disable_symlinks\" directive");
        }
    }

    private static void Index(DirectiveCall call)
    {
        var list = call.Scope.ListHere(S.Index);
        for (var i = 0; i < call.Args.Length; i++)
        {
            var value = call.Args[i];
            if (value.StartsWith('/') && i != call.Args.Length - 1)
            {
                call.Warn("only the last index in \"index\" directive should be absolute");
            }

            if (value.Length == 0)
            {
                throw call.Error($"index \"{call.Args[0]}\" in \"index\" directive is invalid");
            }

            call.Template(value);
            list.Add(value);
        }
    }

    private static void TryFiles(DirectiveCall call)
    {
        call.EnsureNotSet(S.TryFiles);
        var entries = new List<TryFilesEntry>();
        for (var i = 0; i < call.Args.Length; i++)
        {
            var name = call.Args[i];
            var testDirectory = false;
            if (name.Length > 0 && name[^1] == '/' && i + 1 < call.Args.Length)
            {
                testDirectory = true;
                name = name[..^1];
            }

            int? code = null;
            if (i == call.Args.Length - 1 && name.StartsWith('='))
            {
                if (!NginxValues.TryParseInt(name.AsSpan(1), out var c) || c > 999)
                {
                    throw call.Error($"invalid code \"{name}\"");
                }

                code = c;
            }

            entries.Add(new TryFilesEntry(call.Template(name), testDirectory, code));
        }

        call.Set<IReadOnlyList<TryFilesEntry>?>(S.TryFiles, entries);
    }

    /// <summary>nginx's location trees: two exact or two prefix locations with the same name at one level are an error.</summary>
    private static void CheckDuplicateLocations(HttpConfState state)
    {
        foreach (var server in state.Servers)
        {
            CheckLevel(server.Locations);
        }

        static void CheckLevel(List<LocationBuilder> locations)
        {
            var statics = locations.Where(l => l.Kind is LocationKind.Prefix or LocationKind.PrefixNoRegex or LocationKind.Exact).ToList();

            // nginx sorts the level (stably) before joining; children are checked first.
            var sorted = statics.OrderBy(l => l.Name, StringComparer.Ordinal).ThenBy(l => l.Kind == LocationKind.Exact ? 0 : 1).ToList();
            foreach (var location in sorted)
            {
                CheckLevel(location.Children);
            }

            for (var i = 1; i < sorted.Count; i++)
            {
                var previous = sorted[i - 1];
                var current = sorted[i];
                if (previous.Name == current.Name && (previous.Kind == LocationKind.Exact) == (current.Kind == LocationKind.Exact))
                {
                    throw new ConfigException($"duplicate location \"{current.Name}\"", current.Location);
                }
            }

            foreach (var location in locations.Where(l => l.Kind is LocationKind.Regex or LocationKind.Named))
            {
                CheckLevel(location.Children);
            }
        }
    }

    /// <summary>nginx's server name hashes per address: the same name twice on one address is ignored with a warning.</summary>
    private static void CheckServerNames(ConfigCompiler compiler, HttpConfState state)
    {
        foreach (var port in state.Ports)
        {
            foreach (var address in port.Addresses)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var server in address.Servers)
                {
                    foreach (var name in server.EffectiveNames)
                    {
                        if (name.Regex is not null)
                        {
                            continue;
                        }

                        if (!seen.Add(name.Name))
                        {
                            compiler.Warn($"conflicting server name \"{name.Name}\" on {address.Options.AddressText}, ignored", null);
                        }
                    }
                }
            }
        }
    }
}
