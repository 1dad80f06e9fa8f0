using System.Collections.Frozen;
using System.Net;
using System.Text.RegularExpressions;
using Sluice.Configuration;
using Sluice.Http.Configuration;
using Sluice.Http.Routing;
using Sluice.Logging;
using Sluice.Variables;
using S = Sluice.Http.Configuration.HttpCoreSettings;

namespace Sluice.Http.Runtime;

/// <summary>Turns a compiled configuration's http block into an <see cref="HttpRuntime"/>.</summary>
public static class HttpRuntimeBuilder
{
    /// <summary>Null when the configuration has no http block.</summary>
    public static HttpRuntime? Build(
        ConfigCompiler compiler,
        IReadOnlyList<IHttpFeature> features,
        TimeProvider time,
        ServerCounters counters,
        ErrorLog errorLog,
        LogFiles logFiles,
        IReadOnlyDictionary<Type, object> previous,
        out Dictionary<Type, object> carry)
    {
        var state = compiler.State<HttpConfState>();
        carry = [];
        if (state.Http is null)
        {
            return null;
        }

        HttpBuildContext context = null!;
        context = new HttpBuildContext
        {
            Compiler = compiler,
            State = state,
            Variables = new VariableResolver(),
            Time = time,
            Counters = counters,
            ErrorLog = errorLog,
            LogFiles = logFiles,
            Previous = previous,
            BuildPseudoLocation = (scope, server, builder) =>
                BuildLocation(context, features, server, builder, scope, builder?.Name ?? "", builder?.Kind ?? LocationKind.Prefix, null),
        };
        foreach (var feature in features)
        {
            feature.Prepare(context);
        }

        var servers = new Dictionary<ServerBuilder, ServerRuntime>();
        foreach (var server in state.Servers)
        {
            servers[server] = BuildServer(context, features, server);
        }

        var sockets = BuildSockets(state, servers);
        carry = context.Carry;
        return new HttpRuntime
        {
            Sockets = sockets,
            Servers = [.. servers.Values],
            Variables = context.Variables,
            Time = time,
            Counters = counters,
            ErrorLog = errorLog,
            LogFiles = logFiles,
            RequestCompleted = context.Completed.Count == 0
                ? AccessLogFeature.Log
                : (Action<RequestContext>)Delegate.Combine([AccessLogFeature.Log, .. context.Completed])!,
        };
    }

    private static ServerRuntime BuildServer(HttpBuildContext context, IReadOnlyList<IHttpFeature> features, ServerBuilder server)
    {
        var serverLocation = BuildLocation(context, features, server, null, server.Scope, "", LocationKind.Prefix, null);
        return new ServerRuntime
        {
            Index = server.Index,
            PrimaryName = server.Names.FirstOrDefault(n => n.Regex is null)?.Name ?? server.Names.FirstOrDefault()?.Name ?? "",
            Locations = new LocationMatcher<LocationRuntime>(server.Locations.Select(l => BuildTree(context, features, server, l))),
            ServerLocation = serverLocation,
        };
    }

    private static LocationRuntime BuildTree(HttpBuildContext context, IReadOnlyList<IHttpFeature> features, ServerBuilder server, LocationBuilder builder)
    {
        // The request path matches with compiled regexes; configuration loading only validated them.
        var regex = builder.Regex is null ? null : Sluice.Configuration.Values.NginxRegex.Recompile(builder.Regex, RegexOptions.Compiled);
        var location = BuildLocation(context, features, server, builder, builder.Scope, builder.Name, builder.Kind, regex);
        if (builder.Children.Count > 0)
        {
            location.Nested = new LocationMatcher<LocationRuntime>(builder.Children.Select(c => BuildTree(context, features, server, c)));
        }

        return location;
    }

    private static LocationRuntime BuildLocation(
        HttpBuildContext context,
        IReadOnlyList<IHttpFeature> features,
        ServerBuilder server,
        LocationBuilder? builder,
        Sluice.Configuration.Directives.ConfScope scope,
        string name,
        LocationKind kind,
        Regex? regex)
    {
        var location = new LocationRuntime
        {
            Name = name,
            Kind = kind,
            Regex = regex,
            Internal = builder is not null && (builder.Internal || kind == LocationKind.Named),
            Core = CoreSettings(context, scope, builder),
        };

        var build = new LocationBuildContext { Http = context, Scope = scope, Builder = builder, Server = server, Location = location };
        foreach (var feature in features)
        {
            feature.BuildLocation(build);
        }

        location.Handlers = [.. build.Handlers.OrderBy(h => h.Phase)];
        location.HeaderFilters = [.. build.HeaderFilters];
        location.Features = build.Features.ToFrozenDictionary();
        return location;
    }

    private static CoreLocationSettings CoreSettings(HttpBuildContext context, Sluice.Configuration.Directives.ConfScope scope, LocationBuilder? builder)
    {
        var root = scope.Get(S.Root);
        var keepalive = scope.Get(S.KeepaliveTimeout);
        var errorPages = new Dictionary<int, ErrorPageSpec>();
        foreach (var page in scope.GetList(S.ErrorPages))
        {
            errorPages.TryAdd(page.Status, page);
        }

        return new CoreLocationSettings
        {
            Root = root is null ? context.Compile(VariableTemplate.Parse(context.Compiler.Environment.FullPath("html"), default)) : context.Compile(root.Path),
            RootIsAlias = root?.IsAlias ?? false,
            AliasPrefixLength = root?.IsAlias == true && builder is { Kind: not LocationKind.Regex } ? builder.Name.Length : 0,
            Index = [.. (scope.GetList(S.Index) is { Count: > 0 } index ? index : ["index.html"]).Select(i => context.Compile(VariableTemplate.Parse(i, default)))],
            DefaultType = scope.Get(S.DefaultType) ?? "text/plain",
            Types = (scope.Get(S.Types) ?? DefaultTypes).ToFrozenDictionary(StringComparer.Ordinal),
            ErrorPages = errorPages.ToFrozenDictionary(),
            ClientMaxBodySize = scope.Get(S.ClientMaxBodySize),
            KeepaliveTimeout = keepalive.Timeout,
            KeepaliveHeader = keepalive.Header is { } header ? "timeout=" + ((long)header.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
            KeepaliveRequests = scope.Get(S.KeepaliveRequests),
            ServerTokens = scope.Get(S.ServerTokens),
            Etag = scope.Get(S.Etag),
            IfModifiedSince = scope.Get(S.IfModifiedSince),
            MaxRanges = scope.Get(S.MaxRanges),
            AbsoluteRedirect = scope.Get(S.AbsoluteRedirect),
            PortInRedirect = scope.Get(S.PortInRedirect),
            ServerNameInRedirect = scope.Get(S.ServerNameInRedirect),
            LogNotFound = scope.Get(S.LogNotFound),
            RecursiveErrorPages = scope.Get(S.RecursiveErrorPages),
            MsiePadding = scope.Get(S.MsiePadding),
            MergeSlashes = scope.Get(S.MergeSlashes),
            SendTimeout = scope.Get(S.SendTimeout),
            TcpNodelay = scope.Get(S.TcpNodelay),
            ClientBodyTimeout = scope.Get(S.ClientBodyTimeout),
            ClientBodyBufferSize = scope.Get(S.ClientBodyBufferSize),
            ClientBodyTemp = Core.TempFileDirectory.From(scope.Get(S.ClientBodyTempPath), "client_body_temp", context.Compiler.Environment),
            Lingering = new LingeringClose(
                scope.Get(S.LingeringClose) switch { "off" => LingeringMode.Off, "always" => LingeringMode.Always, _ => LingeringMode.On },
                scope.Get(S.LingeringTime),
                scope.Get(S.LingeringTimeout)),
            ClientHeaderTimeout = scope.Get(S.ClientHeaderTimeout),
            LargeHeaderBuffers = scope.Get(S.LargeClientHeaderBuffers) ?? new Sluice.Configuration.Directives.BufferSpec(4, 8192),
            ErrorLog = scope.GetList(S.ErrorLogs) is { Count: > 0 } targets ? ErrorLogFor(context, targets) : context.ErrorLog,
        };
    }

    /// <summary>One error log per distinct set of targets, shared by the locations that use it.</summary>
    private static ErrorLog ErrorLogFor(HttpBuildContext context, IReadOnlyList<Core.ErrorLogTarget> targets)
    {
        var key = string.Join("|", targets);
        if (!context.ErrorLogs.TryGetValue(key, out var log))
        {
            log = context.ErrorLog.WithTargets(targets);
            context.ErrorLogs[key] = log;
        }

        return log;
    }

    /// <summary>nginx's built-in types when no <c>types</c> block is configured.</summary>
    private static readonly IReadOnlyDictionary<string, string> DefaultTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["html"] = "text/html",
        ["gif"] = "image/gif",
        ["jpg"] = "image/jpeg",
    };

    private static List<SocketRuntime> BuildSockets(HttpConfState state, Dictionary<ServerBuilder, ServerRuntime> servers)
    {
        var sockets = new List<SocketRuntime>();
        var opened = ListenPlan.Sockets(state.Ports);
        foreach (var address in opened)
        {
            var specific = new Dictionary<IPAddress, AddressRuntime>();
            if (address.Options.Wildcard && address.Options.EndPoint is IPEndPoint wildcardEndPoint)
            {
                var port = state.Ports.First(p => p.Addresses.Contains(address));
                foreach (var other in port.Addresses)
                {
                    if (!opened.Contains(other) && other.Options.EndPoint is IPEndPoint ip)
                    {
                        specific[ip.Address] = BuildAddress(other, servers);
                    }
                }

                _ = wildcardEndPoint;
            }

            sockets.Add(new SocketRuntime
            {
                Key = SocketRuntime.KeyOf(address.Options),
                EndPoint = address.Options.EndPoint,
                Options = address.Options,
                Own = BuildAddress(address, servers),
                Specific = specific,
            });
        }

        return sockets;
    }

    private static AddressRuntime BuildAddress(ListenAddressBuilder address, Dictionary<ServerBuilder, ServerRuntime> servers)
    {
        var names = address.Servers.SelectMany(s => s.EffectiveNames.Select(n => (n.Name, n.Regex, servers[s])));
        return new AddressRuntime
        {
            AddressText = address.Options.AddressText,
            Options = address.Options,
            Servers = new ServerNameMatcher<ServerRuntime>(names, servers[address.DefaultServer]),
        };
    }
}
