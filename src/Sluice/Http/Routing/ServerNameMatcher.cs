using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Sluice.Http.Routing;

/// <summary>
/// nginx's virtual server choice for one listen address (<c>ngx_http_find_virtual_server</c>): the exact
/// name, then the longest wildcard starting with <c>*.</c> (or <c>.name</c>, which also matches the bare
/// name), then the longest wildcard ending with <c>.*</c>, then regexes in configuration order; if none
/// matches, the address's default server.
/// </summary>
public sealed class ServerNameMatcher<TServer>
    where TServer : class
{
    private readonly FrozenDictionary<string, TServer> _exact;
    private readonly (string Suffix, TServer Server, bool MatchesBare)[] _leadingWildcards;
    private readonly (string Prefix, TServer Server)[] _trailingWildcards;
    private readonly (Regex Regex, TServer Server)[] _regexes;

    /// <param name="names">(lowercased name or regex source, regex or null, server) in configuration order; the first server to claim a name keeps it.</param>
    public ServerNameMatcher(IEnumerable<(string Name, Regex? Regex, TServer Server)> names, TServer defaultServer)
    {
        DefaultServer = defaultServer;
        var exact = new Dictionary<string, TServer>(StringComparer.Ordinal);
        var leading = new List<(string, TServer, bool)>();
        var trailing = new List<(string, TServer)>();
        var regexes = new List<(Regex, TServer)>();
        foreach (var (name, regex, server) in names)
        {
            if (regex is not null)
            {
                regexes.Add((regex, server));
            }
            else if (name.StartsWith("*.", StringComparison.Ordinal))
            {
                leading.Add((name[1..], server, false));
            }
            else if (name.StartsWith('.'))
            {
                leading.Add((name, server, true));
            }
            else if (name.EndsWith(".*", StringComparison.Ordinal))
            {
                trailing.Add((name[..^1], server));
            }
            else
            {
                exact.TryAdd(name, server);
            }
        }

        _exact = exact.ToFrozenDictionary(StringComparer.Ordinal);
        _leadingWildcards = [.. leading.OrderByDescending(w => w.Item1.Length)];
        _trailingWildcards = [.. trailing.OrderByDescending(w => w.Item1.Length)];
        _regexes = [.. regexes];
    }

    public TServer DefaultServer { get; }

    /// <summary>Finds the server for a validated, lowercased host (empty when the request has none).</summary>
    public TServer Find(string host, out Match? regexMatch, out Regex? matchedRegex)
    {
        regexMatch = null;
        matchedRegex = null;
        if (_exact.TryGetValue(host, out var server))
        {
            return server;
        }

        foreach (var (suffix, candidate, matchesBare) in _leadingWildcards)
        {
            if (host.EndsWith(suffix, StringComparison.Ordinal) && host.Length > suffix.Length)
            {
                return candidate;
            }

            if (matchesBare && host.Length == suffix.Length - 1 && suffix.AsSpan(1).SequenceEqual(host))
            {
                return candidate;
            }
        }

        foreach (var (prefix, candidate) in _trailingWildcards)
        {
            if (host.StartsWith(prefix, StringComparison.Ordinal) && host.Length > prefix.Length)
            {
                return candidate;
            }
        }

        if (host.Length > 0)
        {
            foreach (var (regex, candidate) in _regexes)
            {
                var match = regex.Match(host);
                if (match.Success)
                {
                    regexMatch = match;
                    matchedRegex = regex;
                    return candidate;
                }
            }
        }

        return DefaultServer;
    }
}

/// <summary>Host header handling shared by server selection and variables.</summary>
public static class HostHeader
{
    /// <summary>
    /// nginx's <c>ngx_http_validate_host</c>: cut the port, drop one trailing dot, lowercase; null when the
    /// host is invalid (a "..", a slash, a control character) — a 400.
    /// </summary>
    public static string? ValidateHost(string host)
    {
        var dotPos = host.Length;
        var hostLength = host.Length;
        var inLiteral = false;
        var rest = false;
        var hasUpper = false;
        for (var i = 0; i < host.Length; i++)
        {
            var ch = host[i];
            switch (ch)
            {
                case '.':
                    if (dotPos == i - 1)
                    {
                        return null;
                    }

                    dotPos = i;
                    break;
                case ':':
                    if (!inLiteral && !rest)
                    {
                        hostLength = i;
                        rest = true;
                    }

                    break;
                case '[':
                    if (i == 0)
                    {
                        inLiteral = true;
                    }

                    break;
                case ']':
                    if (inLiteral)
                    {
                        hostLength = i + 1;
                        inLiteral = false;
                        rest = true;
                    }

                    break;
                default:
                    if (ch == '/' || ch <= 0x20 || ch == 0x7f)
                    {
                        return null;
                    }

                    hasUpper |= ch is >= 'A' and <= 'Z';
                    break;
            }
        }

        if (dotPos == hostLength - 1)
        {
            hostLength--;
        }

        if (hostLength <= 0)
        {
            return null;
        }

        var result = hostLength == host.Length ? host : host[..hostLength];
        return hasUpper ? result.ToLowerInvariant() : result;
    }
}
