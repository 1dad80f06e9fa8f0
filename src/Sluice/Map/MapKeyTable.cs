using System.Collections.Frozen;
using System.Collections.Immutable;
using Sluice.Configuration;
using Sluice.Configuration.Syntax;
using Sluice.Variables;

namespace Sluice.Map;

/// <summary>
/// The plain (non-regex) keys of a <c>map</c>, added with the rules of nginx's <c>ngx_hash_add_key</c>: keys are
/// lowercased, the same key twice is <c>conflicting parameter</c>, and under <c>hostnames</c> the wildcard forms
/// <c>*.a.com</c>, <c>.a.com</c> and <c>a.*</c> are recognised (<c>.a.com</c> also claims the exact name <c>a.com</c>).
/// </summary>
internal sealed class MapKeyTable
{
    private readonly Dictionary<string, VariableTemplate> _exact = new(StringComparer.Ordinal);

    // nginx's conflict lists: exact names (keys and the domains of ".a.com"), leading and trailing wildcards.
    private readonly HashSet<string> _exactNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _leadingNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _trailingNames = new(StringComparer.Ordinal);
    private readonly List<MapLeadingWildcard> _leading = [];
    private readonly List<MapTrailingWildcard> _trailing = [];

    /// <summary>The exact keys, lowercased: what nginx puts in its hash (and sizes <c>map_hash_*</c> by).</summary>
    public IReadOnlyCollection<string> ExactKeys => _exact.Keys;

    public void Add(string key, bool hostnames, VariableTemplate value, SourceLocation location)
    {
        if (hostnames && TryAddWildcard(key, value, location))
        {
            return;
        }

        var lower = AsciiLower(key);
        if (!_exactNames.Add(lower))
        {
            throw Conflict(lower, location);
        }

        _exact[lower] = value;
    }

    public FrozenDictionary<string, VariableTemplate> Exact() => _exact.ToFrozenDictionary(StringComparer.Ordinal);

    public ImmutableArray<MapLeadingWildcard> Leading() => [.. _leading];

    public ImmutableArray<MapTrailingWildcard> Trailing() => [.. _trailing];

    /// <summary>False when the key is not a wildcard (it is then an exact key); throws for a malformed one.</summary>
    private bool TryAddWildcard(string key, VariableTemplate value, SourceLocation location)
    {
        var stars = key.Count(c => c == '*');
        if (stars > 1 || key.Contains("..", StringComparison.Ordinal))
        {
            throw Invalid(key, location);
        }

        var skip = key.Length > 1 && key[0] == '.' ? 1
            : key.Length > 2 && key.StartsWith("*.", StringComparison.Ordinal) ? 2
            : 0;
        if (skip > 0)
        {
            var shown = key[..skip] + AsciiLower(key[skip..]);
            var domain = shown[skip..];
            if (skip == 1 && !_exactNames.Add(domain))
            {
                throw Conflict(shown, location);
            }

            if (!_leadingNames.Add(domain))
            {
                throw Conflict(shown, location);
            }

            _leading.Add(new MapLeadingWildcard(domain, skip == 1, value));
            return true;
        }

        if (key.Length > 2 && key.EndsWith(".*", StringComparison.Ordinal))
        {
            var shown = AsciiLower(key[..^2]) + ".*";
            var prefix = shown[..^1];
            if (!_trailingNames.Add(prefix))
            {
                throw Conflict(shown, location);
            }

            _trailing.Add(new MapTrailingWildcard(prefix, value));
            return true;
        }

        return stars == 0 ? false : throw Invalid(key, location);
    }

    /// <summary>nginx's <c>ngx_tolower</c>: ASCII letters only.</summary>
    private static string AsciiLower(string text) => string.Create(text.Length, text, static (span, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            span[i] = char.IsAsciiLetterUpper(source[i]) ? (char)(source[i] | 0x20) : source[i];
        }
    });

    // nginx lowercases the key in place before it finds the conflict, so the message shows the lowered key.
    private static ConfigException Conflict(string key, SourceLocation location) => new($"conflicting parameter \"{key}\"", location);

    private static ConfigException Invalid(string key, SourceLocation location) => new($"invalid hostname or wildcard \"{key}\"", location);
}
