using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using Sluice.Core;

namespace Sluice.LimitReq;

/// <summary>
/// The <c>zone=name:size</c> parameter shared by <c>limit_req_zone</c> and <c>limit_conn_zone</c>, and the
/// declaration of the zone with its key, with nginx's messages for both modules.
/// </summary>
internal static class KeyedZones
{
    public const string ZonePrefix = "zone=";

    /// <summary>nginx refuses zones smaller than eight pages (4 KiB each).</summary>
    private const long MinimumSize = 8 * 4096;

    /// <summary>Reads <c>zone=name:size</c>; the name may be empty (then the directive lacks a zone, as in nginx).</summary>
    public static (string Name, long Size) ParseZone(DirectiveCall call, string parameter)
    {
        var colon = parameter.IndexOf(':', ZonePrefix.Length);
        if (colon < 0 || !NginxValues.TryParseSize(parameter.AsSpan(colon + 1), out var size))
        {
            throw call.Error($"invalid zone size \"{parameter}\"");
        }

        if (size < MinimumSize)
        {
            throw call.Error($"zone \"{parameter}\" is too small");
        }

        return (parameter[ZonePrefix.Length..colon], size);
    }

    /// <summary>Declares the zone for <paramref name="kind"/> and binds <paramref name="data"/> to it; a zone binds one key only.</summary>
    public static SharedZone Declare<T>(DirectiveCall call, string name, long size, string kind, T data)
        where T : class, IKeyedZone
    {
        if (name.Length == 0)
        {
            throw call.Error($"\"{call.Name}\" must have \"zone\" parameter");
        }

        var zone = call.Compiler.State<SharedZoneRegistry>().Add(name, size, kind, call.Location);
        if (zone.Data is IKeyedZone bound)
        {
            throw call.Error($"{call.Name} \"{name}\" is already bound to key \"{bound.Key.Source}\"");
        }

        zone.Data = data;
        return zone;
    }

    /// <summary>A reference to a zone by name (<c>limit_req zone=x</c>, <c>limit_conn x N</c>); its size comes from the declaration.</summary>
    public static SharedZone Reference(DirectiveCall call, string name, string kind) =>
        call.Compiler.State<SharedZoneRegistry>().Add(name, 0, kind, call.Location);
}

/// <summary>What a limit zone counts by: the key evaluated per request.</summary>
public interface IKeyedZone
{
    Variables.VariableTemplate Key { get; }
}
