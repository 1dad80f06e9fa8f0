using System.Collections.Immutable;
using Sluice.Configuration;
using Sluice.Configuration.Syntax;

namespace Sluice.Variables;

/// <summary>One piece of a <see cref="VariableTemplate"/>.</summary>
public readonly record struct TemplatePart(TemplatePartKind Kind, string Text, int Capture = 0)
{
    public static TemplatePart Literal(string text) => new(TemplatePartKind.Literal, text);

    public static TemplatePart Variable(string name) => new(TemplatePartKind.Variable, name);

    public static TemplatePart CaptureRef(int number) => new(TemplatePartKind.Capture, "", number);
}

public enum TemplatePartKind
{
    Literal,
    Variable,

    /// <summary>A regex capture, <c>$1</c>…<c>$9</c>.</summary>
    Capture,
}

/// <summary>
/// A string with variables (nginx's "complex value"): parsed once when the configuration is loaded, into
/// literal and variable parts, with the grammar of <c>ngx_http_script_compile</c> — <c>$name</c> is
/// letters, digits and '_', <c>${name}</c> may sit against other letters, <c>$1</c>…<c>$9</c> are captures.
/// </summary>
public sealed class VariableTemplate
{
    private VariableTemplate(string source, ImmutableArray<TemplatePart> parts)
    {
        Source = source;
        Parts = parts;
    }

    public string Source { get; }

    public ImmutableArray<TemplatePart> Parts { get; }

    /// <summary>True when there is nothing to evaluate per request.</summary>
    public bool IsLiteral => Parts.All(p => p.Kind == TemplatePartKind.Literal);

    public IEnumerable<string> VariableNames => Parts.Where(p => p.Kind == TemplatePartKind.Variable).Select(p => p.Text);

    /// <summary>Parses <paramref name="source"/>; errors are nginx's (<c>invalid variable name</c>, missing bracket).</summary>
    public static VariableTemplate Parse(string source, SourceLocation location)
    {
        var parts = ImmutableArray.CreateBuilder<TemplatePart>();
        var literal = new System.Text.StringBuilder();
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            if (c != '$')
            {
                literal.Append(c);
                i++;
                continue;
            }

            if (++i == source.Length)
            {
                throw new ConfigException("invalid variable name", location);
            }

            if (source[i] is >= '1' and <= '9')
            {
                Flush(parts, literal);
                parts.Add(TemplatePart.CaptureRef(source[i] - '0'));
                i++;
                continue;
            }

            var name = ReadName(source, ref i, location) ?? throw new ConfigException("invalid variable name", location);
            Flush(parts, literal);
            parts.Add(TemplatePart.Variable(name.ToLowerInvariant()));
        }

        Flush(parts, literal);
        return new VariableTemplate(source, parts.ToImmutable());
    }

    /// <summary>
    /// Reads the name of a variable whose '$' is just before <paramref name="i"/>: <c>name</c> (letters, digits, '_')
    /// or <c>{name}</c>, and moves past it. Null when there is no name; a <c>{</c> without <c>}</c> is nginx's error.
    /// </summary>
    public static string? ReadName(string source, ref int i, SourceLocation location)
    {
        var bracket = i < source.Length && source[i] == '{';
        if (bracket && ++i == source.Length)
        {
            return null;
        }

        var start = i;
        var length = 0;
        for (; i < source.Length; i++, length++)
        {
            var ch = source[i];
            if (ch == '}' && bracket)
            {
                i++;
                bracket = false;
                break;
            }

            if (!IsNameChar(ch))
            {
                break;
            }
        }

        if (bracket)
        {
            throw new ConfigException($"the closing bracket in \"{source.Substring(start, length)}\" variable is missing", location);
        }

        return length == 0 ? null : source.Substring(start, length);
    }

    /// <summary>A template that is exactly <paramref name="text"/> (no variables are looked for).</summary>
    public static VariableTemplate Literal(string text) =>
        new(text, text.Length == 0 ? [] : [TemplatePart.Literal(text)]);

    public static bool IsNameChar(char ch) => ch is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_';

    /// <summary>Whether a string contains a variable reference at all (nginx's <c>ngx_http_script_variables_count</c>).</summary>
    public static bool HasVariables(string source) => source.Contains('$', StringComparison.Ordinal);

    private static void Flush(ImmutableArray<TemplatePart>.Builder parts, System.Text.StringBuilder literal)
    {
        if (literal.Length > 0)
        {
            parts.Add(TemplatePart.Literal(literal.ToString()));
            literal.Clear();
        }
    }

    public override string ToString() => Source;
}
