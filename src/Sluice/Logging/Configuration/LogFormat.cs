using System.Collections.Immutable;
using System.Text;
using Sluice.Configuration;
using Sluice.Configuration.Syntax;
using Sluice.Variables;

namespace Sluice.Logging.Configuration;

/// <summary>How variable values are escaped in an access log line (<c>log_format … escape=</c>).</summary>
public enum LogEscape
{
    /// <summary>'"', '\' and bytes below 0x20 or above 0x7e become <c>\xHH</c>.</summary>
    Default,

    /// <summary>JSON string escaping.</summary>
    Json,

    /// <summary>Values are written as they are.</summary>
    None,
}

/// <summary>
/// A compiled <c>log_format</c>: literal text and variables in order, ready to render without parsing. A variable
/// that is not found is written as <c>-</c> (nothing with <see cref="LogEscape.Json"/> and <see cref="LogEscape.None"/>);
/// a found but empty one as nothing.
/// </summary>
public sealed record LogFormat(string Name, LogEscape Escape, ImmutableArray<TemplatePart> Parts)
{
    /// <summary>nginx's predefined format, used when <c>access_log</c> names none.</summary>
    public const string CombinedName = "combined";

    public const string CombinedText =
        "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

    public static LogFormat Combined { get; } = Compile(CombinedName, [CombinedText], null, default);

    /// <summary>
    /// nginx's <c>ngx_http_log_compile_format</c>: an optional leading <c>escape=</c>, then the strings, each split
    /// into literals and <c>$name</c>/<c>${name}</c> variables. <paramref name="variables"/> records the variables as
    /// used (null for the predefined format). Errors are nginx's; the bad-<c>$</c> one quotes the rest of that string.
    /// </summary>
    public static LogFormat Compile(string name, IReadOnlyList<string> strings, VariableRegistry? variables, SourceLocation location)
    {
        var escape = LogEscape.Default;
        var first = 0;
        if (strings.Count > 0 && strings[0].StartsWith("escape=", StringComparison.Ordinal))
        {
            escape = strings[0][7..] switch
            {
                "default" => LogEscape.Default,
                "json" => LogEscape.Json,
                "none" => LogEscape.None,
                var other => throw new ConfigException($"unknown log format escaping \"{other}\"", location),
            };
            first = 1;
        }

        var parts = ImmutableArray.CreateBuilder<TemplatePart>();
        var literal = new StringBuilder();
        for (var s = first; s < strings.Count; s++)
        {
            var text = strings[s];
            var i = 0;
            while (i < text.Length)
            {
                var start = i;
                if (text[i] != '$')
                {
                    i = text.IndexOf('$', i + 1);
                    i = i < 0 ? text.Length : i;
                    literal.Append(text, start, i - start);
                    continue;
                }

                var variable = ++i == text.Length ? null : VariableTemplate.ReadName(text, ref i, location);
                if (variable is null)
                {
                    throw new ConfigException($"invalid parameter \"{text[start..]}\"", location);
                }

                FlushLiteral(parts, literal);
                parts.Add(TemplatePart.Variable(variable.ToLowerInvariant()));
                variables?.Use(variable);
            }
        }

        FlushLiteral(parts, literal);
        return new LogFormat(name, escape, parts.ToImmutable());
    }

    private static void FlushLiteral(ImmutableArray<TemplatePart>.Builder parts, StringBuilder literal)
    {
        if (literal.Length > 0)
        {
            parts.Add(TemplatePart.Literal(literal.ToString()));
            literal.Clear();
        }
    }
}
