using System.Collections.Immutable;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using Sluice.Core;
using Sluice.Http.Configuration;
using Sluice.Upstreams.Configuration;
using static Sluice.Configuration.Directives.DirectiveArity;
using S = Sluice.Proxy.Configuration.ProxySettings;

namespace Sluice.Proxy.Configuration;

/// <summary>The cache directives of the proxy module: cache paths and their keys zones, what is cached, for how long.</summary>
internal static class ProxyCacheDirectives
{
    /// <summary>The shared-zone owner tag of proxy caches: another module's zone of the same name is a conflict.</summary>
    private const string ZoneKind = "proxy_cache";

    /// <summary>nginx refuses a keys zone smaller than two pages.</summary>
    private const long MinKeysZoneSize = 2 * 4096;

    public static void Register(Action<string, DirectiveContext, DirectiveArity, DirectiveHandler, DirectiveSupport> add)
    {
        const DirectiveContext hsl = DirectiveContext.HttpServerLocation;
        const DirectiveSupport later = DirectiveSupport.NotImplemented;
        add("proxy_cache", hsl, Take1, Cache, DirectiveSupport.Implemented);
        add("proxy_cache_key", hsl, Take1, call => ProxyDirectives.ComplexValue(call, S.CacheKey), later);
        add("proxy_cache_path", DirectiveContext.Http, TwoOrMore, CachePath, later);
        // Without a cache (the only case Sluice runs yet: proxy_cache with a zone is "not implemented"), these have nothing to do.
        add("proxy_cache_bypass", hsl, OneOrMore, call => Predicates(call, S.CacheBypass), DirectiveSupport.Accepted);
        add("proxy_no_cache", hsl, OneOrMore, call => Predicates(call, S.NoCache), DirectiveSupport.Accepted);
        add("proxy_cache_valid", hsl, OneOrMore, CacheValid, later);
        add("proxy_cache_min_uses", hsl, Take1, Slots.Number(S.CacheMinUses), later);
        add("proxy_cache_max_range_offset", hsl, Take1, Slots.Offset(S.CacheMaxRangeOffset), later);
        add("proxy_cache_use_stale", hsl, OneOrMore, Slots.Bitmask(S.CacheUseStale, ProxyMasks.NextUpstream), later);
        add("proxy_cache_methods", hsl, OneOrMore, Slots.Bitmask(S.CacheMethods, ProxyMasks.CacheMethods), later);
        add("proxy_cache_lock", hsl, DirectiveArity.Flag, Slots.Flag(S.CacheLock), later);
        add("proxy_cache_lock_timeout", hsl, Take1, Slots.Msec(S.CacheLockTimeout), later);
        add("proxy_cache_lock_age", hsl, Take1, Slots.Msec(S.CacheLockAge), later);
        add("proxy_cache_revalidate", hsl, DirectiveArity.Flag, Slots.Flag(S.CacheRevalidate), later);
        add("proxy_cache_convert_head", hsl, DirectiveArity.Flag, Slots.Flag(S.CacheConvertHead), later);
        add("proxy_cache_background_update", hsl, DirectiveArity.Flag, Slots.Flag(S.CacheBackgroundUpdate), later);
    }

    /// <summary>
    /// <c>proxy_cache zone | $zone | off</c>. A literal zone is looked up now (size unknown until its
    /// proxy_cache_path, which may come later); whether one defines it is checked when the blocks merge.
    /// </summary>
    private static void Cache(DirectiveCall call)
    {
        call.EnsureNotSet(S.Cache);
        var value = call.Args[0];
        if (value == "off")
        {
            call.Set<ProxyCache?>(S.Cache, ProxyCache.Off);
            return;
        }

        if (call.Scope.TryGetHere(S.Store, out var store) && store is { Enabled: true })
        {
            throw call.DirectiveError("is incompatible with \"proxy_store\"");
        }

        call.NotImplemented("\"proxy_cache\" with a cache zone");
        var name = call.Template(value);
        var cache = name.IsLiteral
            ? new ProxyCache(true, call.Compiler.State<SharedZoneRegistry>().Add(value, 0, ZoneKind, call.Location), null)
            : new ProxyCache(true, null, name);
        call.Set<ProxyCache?>(S.Cache, cache);
    }

    /// <summary><c>proxy_no_cache</c>, <c>proxy_cache_bypass</c>: conditions that accumulate; any non-empty, non-"0" value applies.</summary>
    private static void Predicates(DirectiveCall call, ListSetting<Variables.VariableTemplate> setting)
    {
        var list = call.Scope.ListHere(setting);
        foreach (var value in call.Args)
        {
            list.Add(call.Template(value));
        }
    }

    /// <summary><c>proxy_cache_valid [code … | any] time</c>; without codes it means 200, 301 and 302.</summary>
    private static void CacheValid(DirectiveCall call)
    {
        var list = call.Scope.ListHere(S.CacheValid);
        var time = call.Args[^1];
        if (!NginxValues.TryParseSeconds(time, out var seconds))
        {
            throw call.Error($"invalid time value \"{time}\"");
        }

        var valid = ConfiguredTime.FromSeconds(seconds);
        if (call.Args.Length == 1)
        {
            list.AddRange([new CacheValidity(200, valid), new CacheValidity(301, valid), new CacheValidity(302, valid)]);
            return;
        }

        foreach (var code in call.Args.Take(call.Args.Length - 1))
        {
            var status = 0;
            if (code != "any" && (!NginxValues.TryParseInt(code, out status) || status is < 100 or > 599))
            {
                throw call.Error($"invalid status \"{code}\"");
            }

            list.Add(new CacheValidity(status, valid));
        }
    }

    /// <summary><c>proxy_cache_path path [levels=1:2] keys_zone=name:size [inactive=…] [max_size=…] …</c> (nginx's <c>ngx_http_file_cache_set_slot</c>).</summary>
    private static void CachePath(DirectiveCall call)
    {
        var path = call.Compiler.Environment.FullPath(call.Args[0].EndsWith('/') ? call.Args[0][..^1] : call.Args[0]);
        var levels = ImmutableArray<int>.Empty;
        var useTempPath = true;
        string? zoneName = null;
        long zoneSize = 0;
        long inactive = 600;
        var maxSize = long.MaxValue;
        long minFree = 0;

        foreach (var value in call.Args.Skip(1))
        {
            var (name, argument) = SplitParameter(value);
            switch (name)
            {
                case "levels":
                    levels = ParseLevels(argument) ?? throw call.Error($"invalid \"levels\" \"{value}\"");
                    break;
                case "use_temp_path":
                    useTempPath = argument switch
                    {
                        "on" => true,
                        "off" => false,
                        _ => throw call.Error($"invalid use_temp_path value \"{value}\", it must be \"on\" or \"off\""),
                    };
                    break;
                case "keys_zone":
                    (zoneName, zoneSize) = ParseKeysZone(call, value, argument);
                    break;
                case "inactive":
                    inactive = NginxValues.TryParseSeconds(argument, out var seconds) ? seconds : throw call.Error($"invalid inactive value \"{value}\"");
                    break;
                case "max_size":
                    maxSize = NginxValues.TryParseOffset(argument, out var max) ? max : throw call.Error($"invalid max_size value \"{value}\"");
                    break;
                case "min_free":
                    minFree = NginxValues.TryParseOffset(argument, out var free) ? free : throw call.Error($"invalid min_free value \"{value}\"");
                    break;
                case "loader_files" or "manager_files":
                    _ = NginxValues.TryParseNumber(argument, out _) ? 0 : throw call.Error($"invalid {name} value \"{value}\"");
                    break;
                case "loader_sleep" or "loader_threshold" or "manager_sleep" or "manager_threshold":
                    _ = NginxValues.TryParseMilliseconds(argument, out _) ? 0 : throw call.Error($"invalid {name} value \"{value}\"");
                    break;
                default:
                    throw call.Error($"invalid parameter \"{value}\"");
            }
        }

        if (zoneName is null || zoneName.Length == 0 || zoneSize == 0)
        {
            throw call.Error($"\"{call.Name}\" must have \"keys_zone\" parameter");
        }

        var cachePath = new ProxyCachePath(
            path, levels, zoneName, zoneSize, ConfiguredTime.FromSeconds(inactive), maxSize, minFree, useTempPath, call.Location);
        call.Compiler.State<FilePathRegistry>().Add(call.Compiler.Environment, call.Args[0], levels, cachePath, call.Location);
        call.Compiler.State<ProxyConfState>().CachePaths.Add(cachePath);
        var zone = call.Compiler.State<SharedZoneRegistry>().Add(zoneName, zoneSize, ZoneKind, call.Location);
        if (zone.Data is not null)
        {
            throw call.Error($"duplicate zone \"{zoneName}\"");
        }

        zone.Data = cachePath;
    }

    /// <summary>Parameters are matched by their "name=" prefix, as nginx does; a word without '=' is unknown.</summary>
    private static (string Name, string Argument) SplitParameter(string value)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? ("", value) : (value[..equals], value[(equals + 1)..]);
    }

    /// <summary>Up to three levels of one or two hex digits each: <c>1</c>, <c>1:2</c>, <c>2:2:2</c>.</summary>
    private static ImmutableArray<int>? ParseLevels(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        var parts = text.Split(':');
        if (parts.Length > 3 || parts.Any(p => p is not ("1" or "2")))
        {
            return null;
        }

        return [.. parts.Select(int.Parse)];
    }

    private static (string Name, long Size) ParseKeysZone(DirectiveCall call, string value, string argument)
    {
        var colon = argument.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !NginxValues.TryParseSize(argument.AsSpan(colon + 1), out var size))
        {
            throw call.Error($"invalid keys zone size \"{value}\"");
        }

        if (size < MinKeysZoneSize)
        {
            throw call.Error($"keys zone \"{value}\" is too small");
        }

        return (argument[..colon], size);
    }
}
