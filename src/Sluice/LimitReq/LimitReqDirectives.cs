using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using Sluice.Core;
using Sluice.Http.Configuration;
using static Sluice.Configuration.Directives.DirectiveArity;
using static Sluice.Configuration.Directives.DirectiveContext;

namespace Sluice.LimitReq;

/// <summary>nginx's <c>ngx_http_limit_req_module</c> (and, first in nginx's module order, <c>ngx_http_limit_conn_module</c>).</summary>
internal static class LimitReqDirectives
{
    public const string ZoneKind = "limit_req";

    /// <summary>The levels <c>limit_req_log_level</c> and <c>limit_conn_log_level</c> accept.</summary>
    public static readonly IReadOnlyDictionary<string, LogLevel> LogLevels = new Dictionary<string, LogLevel>(StringComparer.Ordinal)
    {
        ["info"] = LogLevel.Info,
        ["notice"] = LogLevel.Notice,
        ["warn"] = LogLevel.Warn,
        ["error"] = LogLevel.Error,
    };

    public static void Register(DirectiveTable table)
    {
        LimitConn.LimitConnDirectives.Register(table);

        void Add(string name, DirectiveContext contexts, DirectiveArity arity, DirectiveHandler handler) =>
            table.Add(new DirectiveSpec(name, contexts, arity, handler, DirectiveSupport.NotImplemented) { Module = "http_limit_req" });

        Add("limit_req_zone", DirectiveContext.Http, Take3, LimitReqZoneDirective);
        Add("limit_req", HttpServerLocation, Take123, LimitReqDirective);
        Add("limit_req_log_level", HttpServerLocation, Take1, Slots.Enum(LimitReqSettings.LogLevel, LogLevels));
        Add("limit_req_status", HttpServerLocation, Take1, Slots.Number(LimitReqSettings.Status, 400, 599));
        Add("limit_req_dry_run", HttpServerLocation, DirectiveArity.Flag, Slots.Flag(LimitReqSettings.DryRun));
    }

    private static void LimitReqZoneDirective(DirectiveCall call)
    {
        var key = call.Template(call.Args[0]);
        var name = "";
        long size = 0;
        long rate = 1;
        long scale = 1;
        foreach (var parameter in call.Args.Skip(1))
        {
            if (parameter.StartsWith(KeyedZones.ZonePrefix, StringComparison.Ordinal))
            {
                (name, size) = KeyedZones.ParseZone(call, parameter);
            }
            else if (parameter.StartsWith("rate=", StringComparison.Ordinal))
            {
                (rate, scale) = ParseRate(call, parameter);
            }
            else
            {
                throw call.Error($"invalid parameter \"{parameter}\"");
            }
        }

        KeyedZones.Declare(call, name, size, ZoneKind, new LimitReqZone(name, key, size, rate * 1000 / scale));
    }

    /// <summary><c>rate=Nr/s</c> or <c>rate=Nr/m</c> (a bare number is per second).</summary>
    private static (long Rate, long Scale) ParseRate(DirectiveCall call, string parameter)
    {
        var number = parameter.AsSpan(5);
        long scale = 1;
        if (parameter.EndsWith("r/s", StringComparison.Ordinal))
        {
            number = number[..^3];
        }
        else if (parameter.EndsWith("r/m", StringComparison.Ordinal))
        {
            number = number[..^3];
            scale = 60;
        }

        return NginxValues.TryParseNumber(number, out var rate) && rate > 0
            ? (rate, scale)
            : throw call.Error($"invalid rate \"{parameter}\"");
    }

    private static void LimitReqDirective(DirectiveCall call)
    {
        SharedZone? zone = null;
        long burst = 0;
        long? delay = 0;
        foreach (var parameter in call.Args)
        {
            if (parameter.StartsWith(KeyedZones.ZonePrefix, StringComparison.Ordinal))
            {
                zone = KeyedZones.Reference(call, parameter[KeyedZones.ZonePrefix.Length..], ZoneKind);
            }
            else if (parameter.StartsWith("burst=", StringComparison.Ordinal))
            {
                burst = PositiveNumber(call, parameter, "burst");
            }
            else if (parameter.StartsWith("delay=", StringComparison.Ordinal))
            {
                delay = PositiveNumber(call, parameter, "delay");
            }
            else if (parameter == "nodelay")
            {
                delay = null;
            }
            else
            {
                throw call.Error($"invalid parameter \"{parameter}\"");
            }
        }

        if (zone is null)
        {
            throw call.Error($"\"{call.Name}\" must have \"zone\" parameter");
        }

        var rules = call.Scope.ListHere(LimitReqSettings.Rules);
        if (rules.Exists(r => r.Zone == zone))
        {
            throw call.Duplicate();
        }

        rules.Add(new LimitReqRule(zone, burst, delay, call.Location));
    }

    private static long PositiveNumber(DirectiveCall call, string parameter, string what) =>
        NginxValues.TryParseNumber(parameter.AsSpan(what.Length + 1), out var value) && value > 0
            ? value
            : throw call.Error($"invalid {what} value \"{parameter}\"");
}
