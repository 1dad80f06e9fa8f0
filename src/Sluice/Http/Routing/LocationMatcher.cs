using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Sluice.Http.Configuration;

namespace Sluice.Http.Routing;

/// <summary>What the matcher needs to know about one location.</summary>
public interface ILocationNode<TNode>
    where TNode : class, ILocationNode<TNode>
{
    string Name { get; }

    LocationKind Kind { get; }

    Regex? Regex { get; }

    /// <summary>nginx's <c>auto_redirect</c>: a prefix ending in '/' served by a proxy; "/x" answers 301 to "/x/".</summary>
    bool AutoRedirect { get; }

    LocationMatcher<TNode>? Nested { get; }
}

/// <summary>How a URI matched.</summary>
public enum LocationMatchKind
{
    None,

    /// <summary>A location was found.</summary>
    Found,

    /// <summary>The URI lacks the trailing slash of a proxied prefix location: answer 301 to URI + "/".</summary>
    AutoRedirect,
}

/// <summary>The result of a location search: the location and, for a regex location, its match (for $1…$9).</summary>
public readonly record struct LocationMatch<TNode>(LocationMatchKind Kind, TNode? Location, Match? RegexMatch, Regex? Regex = null)
    where TNode : class;

/// <summary>
/// nginx's location search (<c>ngx_http_core_find_location</c>) for one level of locations, precompiled:
/// an exact match wins at once; otherwise the longest matching prefix is taken and its nested locations
/// searched; then, unless that prefix is <c>^~</c>, the regex locations of this level are tried in
/// configuration order and the first that matches wins (its own nested locations are searched too).
/// A URI that is a proxied prefix location without its trailing slash is a 301 before any regex.
/// </summary>
public sealed class LocationMatcher<TNode>
    where TNode : class, ILocationNode<TNode>
{
    private readonly FrozenDictionary<string, TNode> _exact;
    private readonly TNode[] _prefixesLongestFirst;
    private readonly FrozenDictionary<string, TNode> _autoRedirectWithoutSlash;
    private readonly TNode[] _regexes;

    public LocationMatcher(IEnumerable<TNode> locations)
    {
        var list = locations.ToList();
        _exact = list.Where(l => l.Kind == LocationKind.Exact).GroupBy(l => l.Name, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        _prefixesLongestFirst = [.. list.Where(l => l.Kind is LocationKind.Prefix or LocationKind.PrefixNoRegex)
            .OrderByDescending(l => l.Name.Length)];
        _autoRedirectWithoutSlash = list
            .Where(l => l.AutoRedirect && l.Kind is LocationKind.Exact or LocationKind.Prefix or LocationKind.PrefixNoRegex && l.Name.EndsWith('/'))
            .GroupBy(l => l.Name[..^1], StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        _regexes = [.. list.Where(l => l.Kind == LocationKind.Regex)];
        Named = list.Where(l => l.Kind == LocationKind.Named).GroupBy(l => l.Name, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }

    /// <summary>The @named locations of this level (only the server level has them).</summary>
    public FrozenDictionary<string, TNode> Named { get; }

    public LocationMatch<TNode> Find(string uri)
    {
        var (kind, found, match) = FindStatic(uri);
        Regex? matchRegex = null;
        if (kind == LocationMatchKind.AutoRedirect)
        {
            return new(kind, found, null);
        }

        var noRegex = false;
        if (found is not null)
        {
            if (found.Kind == LocationKind.Exact)
            {
                return new(LocationMatchKind.Found, found, null);
            }

            noRegex = found.Kind == LocationKind.PrefixNoRegex;
            if (found.Nested is { } nested)
            {
                var inner = nested.Find(uri);
                if (inner.Kind == LocationMatchKind.AutoRedirect || (inner.Location is { } l && (l.Kind is LocationKind.Exact or LocationKind.Regex)))
                {
                    return inner;
                }

                if (inner.Location is not null)
                {
                    (found, match, matchRegex) = (inner.Location, inner.RegexMatch, inner.Regex);
                }
            }
        }

        if (!noRegex)
        {
            foreach (var regex in _regexes)
            {
                var m = regex.Regex!.Match(uri);
                if (!m.Success)
                {
                    continue;
                }

                if (regex.Nested is { } nested)
                {
                    // Inside a regex location nginx takes whatever the nested search found (even a
                    // would-be redirect) as the location, and the regex's captures stay in effect.
                    var inner = nested.Find(uri);
                    if (inner.Location is not null)
                    {
                        return inner.RegexMatch is not null ? new(LocationMatchKind.Found, inner.Location, inner.RegexMatch, inner.Regex) : new(LocationMatchKind.Found, inner.Location, m, regex.Regex);
                    }
                }

                return new(LocationMatchKind.Found, regex, m, regex.Regex);
            }
        }

        return found is null ? default : new(LocationMatchKind.Found, found, match, matchRegex);
    }

    private (LocationMatchKind, TNode?, Match?) FindStatic(string uri)
    {
        if (_exact.TryGetValue(uri, out var exact))
        {
            return (LocationMatchKind.Found, exact, null);
        }

        TNode? longest = null;
        foreach (var prefix in _prefixesLongestFirst)
        {
            if (uri.StartsWith(prefix.Name, StringComparison.Ordinal))
            {
                longest = prefix;
                break;
            }
        }

        // "/api" with a proxied "location /api/" redirects, unless a location named exactly "/api" exists.
        if ((longest is null || longest.Name.Length < uri.Length) && _autoRedirectWithoutSlash.TryGetValue(uri, out var redirect))
        {
            return (LocationMatchKind.AutoRedirect, redirect, null);
        }

        return longest is null ? (LocationMatchKind.None, null, null) : (LocationMatchKind.Found, longest, null);
    }
}
