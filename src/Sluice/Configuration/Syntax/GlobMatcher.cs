namespace Sluice.Configuration.Syntax;

/// <summary>
/// glob(3) as nginx's <c>include</c> uses it (flags 0): <c>*</c>, <c>?</c> and <c>[…]</c> in any path
/// segment, names starting with a dot only matched by a pattern starting with a dot, results sorted
/// bytewise (nginx never calls setlocale, so glob sorts in the C locale).
/// </summary>
internal static class GlobMatcher
{
    public static bool HasWildcards(string pattern) => pattern.AsSpan().IndexOfAny("*?[") >= 0;

    public static IReadOnlyList<string> Expand(string pattern)
    {
        var absolute = pattern.StartsWith('/');
        var segments = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = new List<string> { absolute ? "/" : "" };

        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            var next = new List<string>();
            foreach (var basePath in current)
            {
                if (!HasWildcards(segment))
                {
                    var candidate = Combine(basePath, Unescape(segment));
                    if (last ? Path.Exists(candidate) : Directory.Exists(candidate))
                    {
                        next.Add(candidate);
                    }

                    continue;
                }

                var dir = basePath.Length == 0 ? "." : basePath;
                if (!Directory.Exists(dir))
                {
                    continue;
                }

                IEnumerable<string> entries;
                try
                {
                    entries = Directory.EnumerateFileSystemEntries(dir);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }

                foreach (var entry in entries)
                {
                    var name = Path.GetFileName(entry);
                    if (name.StartsWith('.') && !segment.StartsWith('.'))
                    {
                        continue;
                    }

                    if (Matches(segment, name) && (last || Directory.Exists(entry)))
                    {
                        next.Add(Combine(basePath, name));
                    }
                }
            }

            current = next;
            if (current.Count == 0)
            {
                break;
            }
        }

        current.Sort(StringComparer.Ordinal);
        return current;
    }

    private static string Combine(string basePath, string name) =>
        basePath.Length == 0 ? name : basePath.EndsWith('/') ? basePath + name : basePath + "/" + name;

    private static string Unescape(string segment) => segment.Contains('\\', StringComparison.Ordinal) ? segment.Replace("\\", "", StringComparison.Ordinal) : segment;

    /// <summary>fnmatch(3) without flags for one path segment.</summary>
    public static bool Matches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> name)
    {
        var p = 0;
        var n = 0;
        var starP = -1;
        var starN = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length)
            {
                var c = pattern[p];
                if (c == '*')
                {
                    starP = p++;
                    starN = n;
                    continue;
                }

                if (c == '?')
                {
                    p++;
                    n++;
                    continue;
                }

                if (c == '[' && TryMatchClass(pattern, p, name[n], out var consumed, out var matched))
                {
                    if (matched)
                    {
                        p += consumed;
                        n++;
                        continue;
                    }
                }
                else
                {
                    if (c == '\\' && p + 1 < pattern.Length)
                    {
                        c = pattern[++p];
                    }

                    if (c == name[n])
                    {
                        p++;
                        n++;
                        continue;
                    }
                }
            }

            if (starP < 0)
            {
                return false;
            }

            p = starP + 1;
            n = ++starN;
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    /// <summary>Matches a bracket expression starting at <paramref name="start"/>; false when it is not a complete one (then '[' is literal).</summary>
    private static bool TryMatchClass(ReadOnlySpan<char> pattern, int start, char ch, out int consumed, out bool matched)
    {
        var i = start + 1;
        var negate = false;
        if (i < pattern.Length && pattern[i] is '!' or '^')
        {
            negate = true;
            i++;
        }

        var any = false;
        var first = true;
        while (i < pattern.Length && (pattern[i] != ']' || first))
        {
            first = false;
            var lo = pattern[i];
            if (lo == '\\' && i + 1 < pattern.Length)
            {
                lo = pattern[++i];
            }

            if (i + 2 < pattern.Length && pattern[i + 1] == '-' && pattern[i + 2] != ']')
            {
                var hi = pattern[i + 2];
                if (ch >= lo && ch <= hi)
                {
                    any = true;
                }

                i += 3;
            }
            else
            {
                if (ch == lo)
                {
                    any = true;
                }

                i++;
            }
        }

        if (i >= pattern.Length)
        {
            consumed = 0;
            matched = false;
            return false;
        }

        consumed = i - start + 1;
        matched = any != negate;
        return true;
    }
}
