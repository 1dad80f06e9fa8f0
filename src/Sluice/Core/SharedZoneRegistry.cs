using Sluice.Configuration;
using Sluice.Configuration.Syntax;

namespace Sluice.Core;

/// <summary>
/// Named shared zones (<c>limit_req_zone … zone=name:10m</c>, <c>keys_zone=</c>, <c>ssl_session_cache shared:</c>,
/// upstream <c>zone</c>), kept with nginx's rules: a name belongs to one kind of user, sizes must agree, and a
/// zone that is only referenced and never sized is an error when the configuration is activated.
/// In Sluice these become in-process tables (or Redis-backed ones); the size is honoured as a capacity.
/// </summary>
public sealed class SharedZoneRegistry
{
    private readonly List<SharedZone> _zones = [];

    public IReadOnlyList<SharedZone> Zones => _zones;

    /// <summary>nginx's <c>ngx_shared_memory_add</c>; <paramref name="size"/> 0 means "referenced, size declared elsewhere".</summary>
    public SharedZone Add(string name, long size, string kind, SourceLocation location)
    {
        foreach (var zone in _zones)
        {
            if (zone.Name != name)
            {
                continue;
            }

            if (zone.Kind != kind)
            {
                throw new ConfigException($"the shared memory zone \"{name}\" is already declared for a different use", location);
            }

            if (zone.Size == 0)
            {
                zone.Size = size;
            }

            if (size != 0 && size != zone.Size)
            {
                throw new ConfigException($"the size {size} of shared memory zone \"{name}\" conflicts with already declared size {zone.Size}", location);
            }

            return zone;
        }

        var added = new SharedZone(name, kind) { Size = size };
        _zones.Add(added);
        return added;
    }

    /// <summary>The activation check: every zone must have been given a size.</summary>
    public void CheckSizes()
    {
        foreach (var zone in _zones)
        {
            if (zone.Size == 0)
            {
                throw new ConfigException($"zero size shared memory zone \"{zone.Name}\"", (Configuration.Syntax.SourceLocation?)null);
            }
        }
    }
}

/// <summary>One shared zone; <see cref="Data"/> is whatever its owner attached (the limit_req key, the cache path …).</summary>
public sealed class SharedZone(string name, string kind)
{
    public string Name { get; } = name;

    /// <summary>Which feature owns it (nginx compares module tags).</summary>
    public string Kind { get; } = kind;

    public long Size { get; set; }

    public object? Data { get; set; }
}
