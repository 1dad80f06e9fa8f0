using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using Sluice.Core;
using Sluice.Http.Configuration;
using Sluice.LimitReq;
using Sluice.Variables;
using static Sluice.Configuration.Directives.DirectiveArity;
using static Sluice.Configuration.Directives.DirectiveContext;

namespace Sluice.LimitConn;

/// <summary>nginx's <c>ngx_http_limit_conn_module</c>: concurrent requests per key.</summary>
internal static class LimitConnDirectives
{
    public const string ZoneKind = "limit_conn";

    public static void Register(DirectiveTable table)
    {
        void Add(string name, DirectiveContext contexts, DirectiveArity arity, DirectiveHandler handler) =>
            table.Add(new DirectiveSpec(name, contexts, arity, handler, DirectiveSupport.NotImplemented) { Module = "http_limit_conn" });

        Add("limit_conn_zone", DirectiveContext.Http, Take2, LimitConnZoneDirective);
        Add("limit_conn", HttpServerLocation, Take2, LimitConnDirective);
        Add("limit_conn_log_level", HttpServerLocation, Take1, Slots.Enum(LimitConnSettings.LogLevel, LimitReqDirectives.LogLevels));
        Add("limit_conn_status", HttpServerLocation, Take1, Slots.Number(LimitConnSettings.Status, 400, 599));
        Add("limit_conn_dry_run", HttpServerLocation, DirectiveArity.Flag, Slots.Flag(LimitConnSettings.DryRun));
    }

    private static void LimitConnZoneDirective(DirectiveCall call)
    {
        var key = call.Template(call.Args[0]);
        var parameter = call.Args[1];
        if (!parameter.StartsWith(KeyedZones.ZonePrefix, StringComparison.Ordinal))
        {
            throw call.Error($"invalid parameter \"{parameter}\"");
        }

        var (name, size) = KeyedZones.ParseZone(call, parameter);
        KeyedZones.Declare(call, name, size, ZoneKind, new LimitConnZone(name, key, size));
    }

    private static void LimitConnDirective(DirectiveCall call)
    {
        var zone = KeyedZones.Reference(call, call.Args[0], ZoneKind);
        var rules = call.Scope.ListHere(LimitConnSettings.Rules);
        if (rules.Exists(r => r.Zone == zone))
        {
            throw call.Duplicate();
        }

        if (!NginxValues.TryParseNumber(call.Args[1], out var connections) || connections == 0)
        {
            throw call.Error($"invalid number of connections \"{call.Args[1]}\"");
        }

        if (connections > 65535)
        {
            throw call.Error("connection limit must be less 65536");
        }

        rules.Add(new LimitConnRule(zone, (int)connections, call.Location));
    }
}

/// <summary>Settings of nginx's <c>ngx_http_limit_conn_module</c>, per http/server/location block.</summary>
public static class LimitConnSettings
{
    /// <summary>The block's <c>limit_conn</c> lines; a block without any inherits its parent's.</summary>
    public static readonly ListSetting<LimitConnRule> Rules = new("limit_conn");

    public static readonly Setting<LogLevel> LogLevel = new("limit_conn_log_level", Core.LogLevel.Error);

    public static readonly Setting<long> Status = new("limit_conn_status", 503);

    public static readonly Setting<bool> DryRun = new("limit_conn_dry_run", false);
}

/// <summary>A <c>limit_conn_zone</c>: requests in progress are counted per <see cref="Key"/> value.</summary>
public sealed record LimitConnZone(string Name, VariableTemplate Key, long Size) : IKeyedZone;

/// <summary>A <c>limit_conn</c> line: at most <see cref="Connections"/> requests in progress per key of the zone.</summary>
public sealed record LimitConnRule(SharedZone Zone, int Connections, Configuration.Syntax.SourceLocation Location);
