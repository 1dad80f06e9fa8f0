using Sluice.Configuration;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using Sluice.Core;
using Sluice.Http.Configuration;
using static Sluice.Configuration.Directives.DirectiveArity;

namespace Sluice.Upstreams.Configuration;

/// <summary>
/// The <c>upstream</c> block and the directives of nginx's upstream modules (upstream, hash, ip_hash,
/// least_conn, random, keepalive, zone), validated with nginx's rules and messages. Groups are collected
/// in the <see cref="UpstreamRegistry"/> and frozen when the http block closes.
/// </summary>
internal static class UpstreamDirectives
{
    private const DirectiveContext InUpstream = DirectiveContext.Upstream;
    private const DirectiveSupport Later = DirectiveSupport.NotImplemented;

    /// <summary>nginx refuses shared zones smaller than eight pages.</summary>
    private const long MinZoneSize = 8 * 4096;

    public static void Register(DirectiveTable table)
    {
        void Add(string module, string name, DirectiveContext contexts, DirectiveArity arity, DirectiveHandler handler, DirectiveSupport support = Later) =>
            table.Add(new DirectiveSpec(name, contexts, arity, handler, support) { Module = module });

        table.OnCompile(compiler => compiler.State<HttpConfState>().AfterHttp(
            HttpOrder.Upstream,
            () => compiler.State<UpstreamRegistry>().Freeze(compiler.Environment.Resolver)));

        Add("http_upstream", "upstream", DirectiveContext.Http, Block | Take1, UpstreamBlock, DirectiveSupport.Implemented);
        Add("http_upstream", "server", InUpstream, OneOrMore, Server, DirectiveSupport.Implemented);
        Add("http_upstream_hash", "hash", InUpstream, Take12, Hash, DirectiveSupport.Implemented);
        Add("http_upstream_ip_hash", "ip_hash", InUpstream, NoArgs, call =>
            SetBalancing(call, new BalancingMethod(BalancingKind.IpHash), ServerParameters.AllButBackup), DirectiveSupport.Implemented);
        Add("http_upstream_least_conn", "least_conn", InUpstream, NoArgs, call =>
            SetBalancing(call, new BalancingMethod(BalancingKind.LeastConn), ServerParameters.All), DirectiveSupport.Implemented);
        Add("http_upstream_random", "random", InUpstream, NoArgs | Take12, Random, DirectiveSupport.Implemented);
        Add("http_upstream_keepalive", "keepalive", InUpstream, Take1, Keepalive, DirectiveSupport.Implemented);
        Add("http_upstream_keepalive", "keepalive_time", InUpstream, Take1, Slots.Msec(UpstreamSettings.KeepaliveTime), DirectiveSupport.Implemented);
        Add("http_upstream_keepalive", "keepalive_timeout", InUpstream, Take1, Slots.Msec(UpstreamSettings.KeepaliveTimeout), DirectiveSupport.Implemented);
        Add("http_upstream_keepalive", "keepalive_requests", InUpstream, Take1, Slots.Number(UpstreamSettings.KeepaliveRequests), DirectiveSupport.Implemented);
        Add("http_upstream_zone", "zone", InUpstream, Take12, Zone, DirectiveSupport.Accepted);
    }

    private static UpstreamBuilder Current(DirectiveCall call) => (UpstreamBuilder)call.Scope.Owner!;

    private static void UpstreamBlock(DirectiveCall call)
    {
        var upstream = call.Compiler.State<UpstreamRegistry>().DefineBlock(call.Args[0], call.Location);
        var scope = new ConfScope(DirectiveContext.Upstream, call.Scope, call.Location) { Owner = upstream };
        upstream.BecomeBlock(scope);
        call.WalkBlock(scope);

        if (upstream.Servers!.Count == 0)
        {
            // Reported after the block was read, so at its closing brace.
            throw new ConfigException("no servers are inside upstream", call.Directive.BlockEnd ?? call.Location);
        }
    }

    /// <summary>A <c>server</c> line: parameters first (nginx stops at the first bad one), then the address, resolved now.</summary>
    private static void Server(DirectiveCall call)
    {
        var upstream = Current(call);
        long weight = 1;
        long maxConns = 0;
        long maxFails = 1;
        long failTimeout = 10;
        var backup = false;
        var down = false;
        var drain = false;

        foreach (var parameter in call.Args.Skip(1))
        {
            if (parameter.StartsWith("weight=", StringComparison.Ordinal))
            {
                weight = NumberParameter(call, upstream, parameter, ServerParameters.Weight);
                if (weight == 0)
                {
                    throw InvalidParameter(call, parameter);
                }
            }
            else if (parameter.StartsWith("max_conns=", StringComparison.Ordinal))
            {
                maxConns = NumberParameter(call, upstream, parameter, ServerParameters.MaxConns);
            }
            else if (parameter.StartsWith("max_fails=", StringComparison.Ordinal))
            {
                maxFails = NumberParameter(call, upstream, parameter, ServerParameters.MaxFails);
            }
            else if (parameter.StartsWith("fail_timeout=", StringComparison.Ordinal))
            {
                Require(call, upstream, parameter, ServerParameters.FailTimeout);
                if (!NginxValues.TryParseSeconds(parameter.AsSpan(13), out failTimeout))
                {
                    throw InvalidParameter(call, parameter);
                }
            }
            else if (parameter == "backup")
            {
                Require(call, upstream, parameter, ServerParameters.Backup);
                backup = true;
            }
            else if (parameter == "down")
            {
                Require(call, upstream, parameter, ServerParameters.Down);
                down = true;
            }
            else if (parameter == "drain")
            {
                // Sluice's extension (NGINX Plus's parameter; nginx rejects it): no new requests, in-flight ones finish.
                Require(call, upstream, parameter, ServerParameters.Down);
                drain = true;
            }
            else
            {
                throw InvalidParameter(call, parameter);
            }
        }

        var url = NginxUrl.Parse(call.Args[0], new UrlParseOptions { DefaultPort = 80 }, call.Compiler.Environment.Resolver);
        if (!url.Ok)
        {
            throw call.Error($"{url.Error} in upstream \"{url.Url}\"");
        }

        upstream.Servers!.Add(new UpstreamServer(
            url.Url, [.. url.Addresses], weight, maxFails, ConfiguredTime.FromSeconds(failTimeout), maxConns, backup, down, drain));
    }

    /// <summary>The number after "name=" of a server parameter the current method must admit.</summary>
    private static long NumberParameter(DirectiveCall call, UpstreamBuilder upstream, string parameter, ServerParameters kind)
    {
        Require(call, upstream, parameter, kind);
        return NginxValues.TryParseNumber(parameter.AsSpan(parameter.IndexOf('=', StringComparison.Ordinal) + 1), out var value)
            ? value
            : throw InvalidParameter(call, parameter);
    }

    private static void Require(DirectiveCall call, UpstreamBuilder upstream, string parameter, ServerParameters kind)
    {
        if ((upstream.AllowedParameters & kind) == 0)
        {
            throw call.Error($"balancing method does not support parameter \"{parameter}\"");
        }
    }

    private static ConfigException InvalidParameter(DirectiveCall call, string parameter) => call.Error($"invalid parameter \"{parameter}\"");

    private static void SetBalancing(DirectiveCall call, BalancingMethod method, ServerParameters allowed)
    {
        if (!Current(call).SetBalancing(method, allowed))
        {
            call.Warn("load balancing method redefined");
        }
    }

    private static void Hash(DirectiveCall call)
    {
        var key = call.Template(call.Args[0]);
        var consistent = call.Args.Length == 2;
        SetBalancing(call, new BalancingMethod(consistent ? BalancingKind.ConsistentHash : BalancingKind.Hash, key), ServerParameters.AllButBackup);

        // nginx has already switched the method (and warned) when it looks at the second word.
        if (consistent && call.Args[1] != "consistent")
        {
            throw InvalidParameter(call, call.Args[1]);
        }
    }

    private static void Random(DirectiveCall call)
    {
        SetBalancing(call, new BalancingMethod(call.Args.Length == 0 ? BalancingKind.Random : BalancingKind.RandomTwo), ServerParameters.AllButBackup);
        if (call.Args.Length >= 1 && call.Args[0] != "two")
        {
            throw InvalidParameter(call, call.Args[0]);
        }

        if (call.Args.Length == 2 && call.Args[1] != "least_conn")
        {
            throw InvalidParameter(call, call.Args[1]);
        }
    }

    private static void Keepalive(DirectiveCall call)
    {
        var upstream = Current(call);
        if (upstream.KeepaliveConnections != 0)
        {
            throw call.Duplicate();
        }

        if (!NginxValues.TryParseNumber(call.Args[0], out var connections) || connections == 0)
        {
            throw call.Error($"invalid value \"{call.Args[0]}\" in \"{call.Name}\" directive");
        }

        // nginx takes any positive number; more idle connections than an int can count is "unbounded".
        upstream.SetKeepalive((int)Math.Min(connections, int.MaxValue));
    }

    private static void Zone(DirectiveCall call)
    {
        var name = call.Args[0];
        if (name.Length == 0)
        {
            throw call.Error($"invalid zone name \"{name}\"");
        }

        long size = 0;
        if (call.Args.Length == 2)
        {
            if (!NginxValues.TryParseSize(call.Args[1], out size))
            {
                throw call.Error($"invalid zone size \"{call.Args[1]}\"");
            }

            if (size < MinZoneSize)
            {
                throw call.Error($"zone \"{name}\" is too small");
            }
        }

        call.Compiler.State<SharedZoneRegistry>().Add(name, size, "upstream", call.Location);
        Current(call).Zone = name;
    }
}
