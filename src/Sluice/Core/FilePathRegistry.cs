using System.Collections.Immutable;
using Sluice.Configuration;
using Sluice.Configuration.Syntax;

namespace Sluice.Core;

/// <summary>
/// The directories a configuration writes files into (temp paths, cache paths), kept with nginx's rules
/// (<c>ngx_add_path</c>): one directory serves one purpose, and temp directories shared by several
/// directives must use the same hash levels.
/// </summary>
public sealed class FilePathRegistry
{
    private readonly List<Entry> _paths = [];

    /// <summary>
    /// Registers a directory as written in <paramref name="argument"/>. <paramref name="owner"/> is null for temp
    /// paths (they may be shared) and the cache for a cache path (it may not).
    /// </summary>
    public void Add(ConfigEnvironment environment, string argument, ImmutableArray<int> levels, object? owner, SourceLocation at)
    {
        var trimmed = argument.EndsWith('/') ? argument[..^1] : argument;
        var name = environment.FullPath(trimmed);

        // nginx compares the names as C strings: an absolute name keeps its trailing slash in memory, a
        // relative one is copied without it, so "/a/" and "/a" are different directories to it and "a/" and "a" are not.
        var key = trimmed.StartsWith('/') ? argument : name;
        foreach (var path in _paths)
        {
            if (path.Name.Length != name.Length || path.Key != key)
            {
                continue;
            }

            if (!ReferenceEquals(path.Owner, owner))
            {
                throw new ConfigException($"the same path name \"{name}\" used in {path.Location} and", at);
            }

            if (!path.Levels.SequenceEqual(levels))
            {
                throw new ConfigException($"the same path name \"{name}\" in {path.Location} has the different levels than", at);
            }
        }

        _paths.Add(new Entry(key, name, levels, owner, at));
    }

    private sealed record Entry(string Key, string Name, ImmutableArray<int> Levels, object? Owner, SourceLocation Location);
}
