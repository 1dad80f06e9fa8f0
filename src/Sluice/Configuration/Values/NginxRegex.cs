using System.Text;
using System.Text.RegularExpressions;
using Sluice.Configuration.Syntax;

namespace Sluice.Configuration.Values;

/// <summary>
/// Compiles the PCRE patterns of nginx configurations (locations, server names, map, if) into .NET
/// regexes once, at load: PCRE-only syntax is translated (<c>(?P&lt;name&gt;</c>, <c>(?P=name)</c>,
/// possessive quantifiers), and a pattern that does not compile fails with the message nginx prints
/// (<c>pcre2_compile() failed: missing closing parenthesis in "^/(a"</c>).
/// </summary>
public static class NginxRegex
{
    /// <summary>Compiles <paramref name="pattern"/>; <paramref name="caseless"/> is nginx's <c>~*</c>.</summary>
    public static Regex Compile(string pattern, bool caseless, SourceLocation location)
    {
        // Interpreted here: loading validates; the request path compiles the regexes it matches with (see the location matcher).
        var options = RegexOptions.CultureInvariant;
        if (caseless)
        {
            options |= RegexOptions.IgnoreCase;
        }

        var (translated, names) = Translate(pattern);
        var duplicate = FindDuplicateGroupName(pattern);
        if (duplicate >= 0)
        {
            throw Failure("two named subpatterns have the same name (PCRE2_DUPNAMES not set)", pattern, duplicate, location);
        }

        try
        {
            var regex = new Regex(translated, options, TimeSpan.FromSeconds(1));
            GroupNamesByRegex.AddOrUpdate(regex, names);
            return regex;
        }
        catch (RegexParseException e)
        {
            var (message, offset) = Describe(e, pattern);
            throw Failure(message, pattern, offset, location);
        }
    }

    /// <summary>
    /// PCRE numbers named groups in order with the others ($2 may be a named group); .NET numbers named groups last.
    /// Named groups are therefore compiled unnamed, and their names kept here, by regex.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Regex, IReadOnlyDictionary<string, int>> GroupNamesByRegex = [];

    /// <summary>The named groups of a regex compiled here, with their PCRE numbers.</summary>
    public static IReadOnlyDictionary<string, int> NamedGroups(Regex regex) =>
        GroupNamesByRegex.TryGetValue(regex, out var names) ? names : new Dictionary<string, int>();

    /// <summary>Recompiles a validated regex with other options (e.g. compiled for the request path), keeping its group names.</summary>
    public static Regex Recompile(Regex regex, RegexOptions extra)
    {
        var recompiled = new Regex(regex.ToString(), regex.Options | extra, regex.MatchTimeout);
        GroupNamesByRegex.AddOrUpdate(recompiled, NamedGroups(regex));
        return recompiled;
    }

    /// <summary>Number of capture groups (for <c>$1</c>…<c>$9</c> checks).</summary>
    public static int CaptureCount(Regex regex) => regex.GetGroupNumbers().Length - 1;

    private static ConfigException Failure(string message, string pattern, int offset, SourceLocation location)
    {
        var text = offset < 0 || offset >= pattern.Length
            ? $"pcre2_compile() failed: {message} in \"{pattern}\""
            : $"pcre2_compile() failed: {message} in \"{pattern}\" at \"{pattern[offset..]}\"";
        return new ConfigException(text, location);
    }

    /// <summary>PCRE2's wording for the errors operators actually make; anything else keeps .NET's text.</summary>
    private static (string Message, int Offset) Describe(RegexParseException e, string pattern)
    {
        return e.Error switch
        {
            RegexParseError.InsufficientClosingParentheses => ("missing closing parenthesis", pattern.Length),
            RegexParseError.InsufficientOpeningParentheses => ("unmatched closing parenthesis", UnmatchedClose(pattern)),
            RegexParseError.QuantifierAfterNothing => ("quantifier does not follow a repeatable item", Math.Max(0, e.Offset - 1)),
            RegexParseError.NestedQuantifiersNotParenthesized => ("quantifier does not follow a repeatable item", Math.Max(0, e.Offset - 1)),
            RegexParseError.UnterminatedBracket => ("missing terminating ] for character class", pattern.Length),
            RegexParseError.ReversedQuantifierRange => ("numbers out of order in {} quantifier", Math.Max(0, e.Offset - 1)),
            RegexParseError.QuantifierOrCaptureGroupOutOfRange => ("number too big in {} quantifier", Math.Max(0, e.Offset - 1)),
            RegexParseError.InvalidGroupingConstruct => ("unrecognized character after (? or (?-", Math.Max(0, e.Offset - 1)),
            RegexParseError.UndefinedNamedReference or RegexParseError.UndefinedNumberedReference => ("reference to non-existent subpattern", Math.Max(0, e.Offset - 1)),
            RegexParseError.UnescapedEndingBackslash => ("\\ at end of pattern", pattern.Length),
            RegexParseError.ReversedCharacterRange => ("range out of order in character class", Math.Max(0, e.Offset - 1)),
            _ => (FirstSentence(e.Message), Math.Max(0, e.Offset)),
        };
    }

    private static string FirstSentence(string message)
    {
        var colon = message.LastIndexOf(" - ", StringComparison.Ordinal);
        return (colon >= 0 ? message[(colon + 3)..] : message).TrimEnd('.');
    }

    private static int UnmatchedClose(string pattern)
    {
        var depth = 0;
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                i++;
                continue;
            }

            if (inClass)
            {
                inClass = c != ']';
                continue;
            }

            switch (c)
            {
                case '[':
                    inClass = true;
                    break;
                case '(':
                    depth++;
                    break;
                case ')' when depth == 0:
                    return i;
                case ')':
                    depth--;
                    break;
            }
        }

        return -1;
    }

    /// <summary>Offset just after the second definition of a repeated group name, or -1.</summary>
    private static int FindDuplicateGroupName(string pattern)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        while ((i = pattern.IndexOf("(?", i, StringComparison.Ordinal)) >= 0)
        {
            if (i > 0 && pattern[i - 1] == '\\')
            {
                i += 2;
                continue;
            }

            var start = i + 2;
            if (start < pattern.Length && pattern[start] == 'P')
            {
                start++;
            }

            if (start < pattern.Length && pattern[start] is '<' or '\'' && start + 1 < pattern.Length && pattern[start + 1] is not '=' and not '!')
            {
                var close = pattern[start] == '<' ? '>' : '\'';
                var end = pattern.IndexOf(close, start + 1);
                if (end > start && !seen.Add(pattern[(start + 1)..end]))
                {
                    return end + 1;
                }
            }

            i += 2;
        }

        return -1;
    }

    /// <summary>
    /// Rewrites PCRE-only constructs into their .NET equivalents and turns named groups into numbered ones
    /// (keeping PCRE's left-to-right numbering); returns the names with their numbers.
    /// </summary>
    internal static (string Pattern, IReadOnlyDictionary<string, int> Names) Translate(string pattern)
    {
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var sb = new StringBuilder(pattern.Length + 8);
        var inClass = false;
        var groups = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                // \k<name>, \k'name', \k{name}, \g{name}: a back-reference by name becomes one by number.
                if (!inClass && pattern[i + 1] is 'k' or 'g' && i + 2 < pattern.Length && pattern[i + 2] is '<' or '\'' or '{')
                {
                    var close = pattern[i + 2] switch { '<' => '>', '{' => '}', _ => '\'' };
                    var end = pattern.IndexOf(close, i + 3);
                    if (end > i && names.TryGetValue(pattern[(i + 3)..end], out var number))
                    {
                        sb.Append('\\').Append(number.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        i = end;
                        continue;
                    }
                }

                sb.Append(c).Append(pattern[++i]);
                continue;
            }

            if (inClass)
            {
                inClass = c != ']';
                sb.Append(c);
                continue;
            }

            if (c == '[')
            {
                inClass = true;
                sb.Append(c);
                continue;
            }

            if (c == '(')
            {
                if (i + 1 >= pattern.Length || pattern[i + 1] != '?')
                {
                    groups++;
                    sb.Append(c);
                    continue;
                }

                var nameStart = -1;
                char nameClose = '>';
                if (string.CompareOrdinal(pattern, i, "(?P<", 0, 4) == 0)
                {
                    nameStart = i + 4;
                }
                else if (string.CompareOrdinal(pattern, i, "(?<", 0, 3) == 0 && i + 3 < pattern.Length && pattern[i + 3] is not ('=' or '!'))
                {
                    nameStart = i + 3;
                }
                else if (string.CompareOrdinal(pattern, i, "(?'", 0, 3) == 0)
                {
                    nameStart = i + 3;
                    nameClose = '\'';
                }

                if (nameStart > 0)
                {
                    var end = pattern.IndexOf(nameClose, nameStart);
                    if (end > nameStart)
                    {
                        groups++;
                        names.TryAdd(pattern[nameStart..end], groups);
                        sb.Append('(');
                        i = end;
                        continue;
                    }
                }

                if (string.CompareOrdinal(pattern, i, "(?P=", 0, 4) == 0)
                {
                    var end = pattern.IndexOf(')', i);
                    if (end > i && names.TryGetValue(pattern[(i + 4)..end], out var number))
                    {
                        sb.Append('\\').Append(number.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        i = end;
                        continue;
                    }
                }

                sb.Append(c);
                continue;
            }

            // X*+ X++ X?+ X{n}+ : possessive, i.e. an atomic group around the quantified item.
            if (c == '+' && i > 0 && pattern[i - 1] is '*' or '+' or '?' or '}' && sb.Length > 0 && IsQuantifierEnd(pattern, i - 1))
            {
                WrapLastQuantifiedAtom(sb);
                continue;
            }

            sb.Append(c);
        }

        return (sb.ToString(), names);
    }

    private static bool HasPossessive(string pattern) =>
        pattern.Contains("++", StringComparison.Ordinal) || pattern.Contains("*+", StringComparison.Ordinal)
        || pattern.Contains("?+", StringComparison.Ordinal) || pattern.Contains("}+", StringComparison.Ordinal);

    private static bool IsQuantifierEnd(string pattern, int index) =>
        !(index > 0 && pattern[index - 1] == '\\') && !(pattern[index] == '+' && index > 0 && pattern[index - 1] is '*' or '+' or '?');

    /// <summary>Turns "...atom{quantifier}" at the end of the builder into "...(?>atom{quantifier})".</summary>
    private static void WrapLastQuantifiedAtom(StringBuilder sb)
    {
        var text = sb.ToString();
        var q = text.Length - 1;
        if (text[q] == '}')
        {
            q = text.LastIndexOf('{');
        }

        var atomEnd = q;
        var atomStart = atomEnd - 1;
        if (atomStart < 0)
        {
            return;
        }

        if (text[atomStart] == ')')
        {
            var depth = 0;
            for (var j = atomStart; j >= 0; j--)
            {
                if (text[j] == ')' && (j == 0 || text[j - 1] != '\\'))
                {
                    depth++;
                }
                else if (text[j] == '(' && (j == 0 || text[j - 1] != '\\'))
                {
                    depth--;
                    if (depth == 0)
                    {
                        atomStart = j;
                        break;
                    }
                }
            }
        }
        else if (text[atomStart] == ']')
        {
            atomStart = text.LastIndexOf('[', atomStart);
        }
        else if (atomStart > 0 && text[atomStart - 1] == '\\')
        {
            atomStart--;
        }

        if (atomStart < 0)
        {
            return;
        }

        sb.Insert(atomStart, "(?>").Append(')');
    }
}
