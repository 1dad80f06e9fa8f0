using System.Collections.Frozen;

namespace Sluice.Variables;

/// <summary>
/// Binds variable names to getters for one configuration load: the built-in variables, the families
/// (<c>$http_*</c>, <c>$arg_*</c>, <c>$cookie_*</c>, <c>$sent_http_*</c>, <c>$upstream_http_*</c>) and the
/// variables the configuration defines (map, geo, split_clients, set). Templates are compiled against it.
/// </summary>
public sealed class VariableResolver
{
    private readonly Dictionary<string, VariableGetter> _defined = new(StringComparer.Ordinal);
    private FrozenDictionary<string, VariableGetter>? _frozen;

    /// <summary>Defines a configuration variable (map, geo, split_clients, set); later definitions win, as in nginx.</summary>
    public void Define(string name, VariableGetter getter)
    {
        _defined[name.ToLowerInvariant()] = getter;
        _frozen = null;
    }

    public VariableGetter Resolve(string name)
    {
        name = name.ToLowerInvariant();
        _frozen ??= _defined.ToFrozenDictionary(StringComparer.Ordinal);
        if (_frozen.TryGetValue(name, out var defined))
        {
            return defined;
        }

        return CoreVariables.Resolve(name) ?? (_ => null);
    }

    public CompiledTemplate Compile(VariableTemplate template)
    {
        var parts = new CompiledTemplate.Part[template.Parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var part = template.Parts[i];
            parts[i] = part.Kind switch
            {
                TemplatePartKind.Variable => new CompiledTemplate.Part(null, Resolve(part.Text), 0),
                TemplatePartKind.Capture => new CompiledTemplate.Part(null, null, part.Capture),
                _ => new CompiledTemplate.Part(part.Text, null, 0),
            };
        }

        return new CompiledTemplate(template, parts);
    }
}
