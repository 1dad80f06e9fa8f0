using System.Text;

namespace Sluice.Variables;

/// <summary>Reads one variable for a request; null means nginx's "not found" (rendered as empty, or "-" in logs).</summary>
public delegate string? VariableGetter(Http.Runtime.RequestContext request);

/// <summary>
/// A <see cref="VariableTemplate"/> bound to getters once per configuration load: rendering walks an array
/// of literals and getter calls, with no name lookups or parsing per request.
/// </summary>
public sealed class CompiledTemplate
{
    private readonly Part[] _parts;

    internal CompiledTemplate(VariableTemplate source, Part[] parts)
    {
        Source = source;
        _parts = parts;
        Literal = parts.Length == 0 ? "" : parts.Length == 1 && parts[0].Getter is null && parts[0].Capture == 0 ? parts[0].Literal : null;
    }

    public VariableTemplate Source { get; }

    /// <summary>The text when the template has no variables (then rendering allocates nothing).</summary>
    public string? Literal { get; }

    public string Render(Http.Runtime.RequestContext request)
    {
        if (Literal is not null)
        {
            return Literal;
        }

        // One variable alone ("$host"): its value is the result, nothing to build.
        if (_parts.Length == 1 && _parts[0].Getter is { } only)
        {
            return only(request) ?? "";
        }

        var sb = new StringBuilder();
        AppendTo(sb, request);
        return sb.ToString();
    }

    public void AppendTo(StringBuilder sb, Http.Runtime.RequestContext request)
    {
        foreach (var part in _parts)
        {
            if (part.Getter is { } getter)
            {
                sb.Append(getter(request));
            }
            else if (part.Capture > 0)
            {
                sb.Append(request.Capture(part.Capture));
            }
            else
            {
                sb.Append(part.Literal);
            }
        }
    }

    public override string ToString() => Source.Source;

    internal readonly record struct Part(string? Literal, VariableGetter? Getter, int Capture);
}
