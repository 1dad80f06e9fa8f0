using Sluice.Configuration;

namespace Sluice.Variables;

/// <summary>
/// The variables a configuration uses and defines, checked once the http block is read — nginx's
/// <c>ngx_http_variables_init_vars</c>: every variable used must be built in, belong to a family
/// (<c>$http_*</c>, <c>$arg_*</c>, …) or be defined by <c>map</c>, <c>geo</c>, <c>split_clients</c> or
/// <c>set</c>; otherwise <c>unknown "name" variable</c>, for the first unknown one in order of first use.
/// </summary>
public sealed class VariableRegistry
{
    private readonly List<string> _used = [];
    private readonly HashSet<string> _usedSet = new(StringComparer.Ordinal);
    private readonly HashSet<string> _defined = new(StringComparer.Ordinal);

    /// <summary>Records a use (names are case-insensitive, as in nginx).</summary>
    public void Use(string name)
    {
        name = name.ToLowerInvariant();
        if (_usedSet.Add(name))
        {
            _used.Add(name);
        }
    }

    /// <summary>Records every variable of a template as used.</summary>
    public void Use(VariableTemplate template)
    {
        foreach (var name in template.VariableNames)
        {
            Use(name);
        }
    }

    /// <summary>Declares a variable defined by the configuration; false when it already was (by map, geo, …).</summary>
    public bool Define(string name) => _defined.Add(name.ToLowerInvariant());

    /// <summary>
    /// nginx's <c>ngx_http_add_variable(…, NGX_HTTP_VAR_CHANGEABLE)</c> for the variables <c>map</c>, <c>geo</c>,
    /// <c>split_clients</c> and regex named captures create: defining one twice is fine, redefining a read-only
    /// built-in is not.
    /// </summary>
    /// <summary>Names of regex named captures anywhere in http: variables that read the request's last regex match.</summary>
    public HashSet<string> CaptureNames { get; } = new(StringComparer.Ordinal);

    /// <summary>Declares a named capture as a variable (nginx's <c>ngx_http_regex_compile</c>).</summary>
    public void DefineCapture(string name, Configuration.Syntax.SourceLocation location)
    {
        DefineChangeable(name, location);
        CaptureNames.Add(name.ToLowerInvariant());
    }

    public void DefineChangeable(string name, Configuration.Syntax.SourceLocation location)
    {
        if (name.Length == 0)
        {
            throw new ConfigException("invalid variable name \"$\"", location);
        }

        if (BuiltinVariables.IsReadOnly(name.ToLowerInvariant()))
        {
            throw new ConfigException($"the duplicate \"{name}\" variable", location);
        }

        Define(name);
    }

    public bool IsDefined(string name) => _defined.Contains(name.ToLowerInvariant());

    public bool IsKnown(string name)
    {
        name = name.ToLowerInvariant();
        return _defined.Contains(name) || BuiltinVariables.IsBuiltin(name);
    }

    /// <summary>Fails with nginx's message for the first used variable nobody provides.</summary>
    public void CheckAllKnown()
    {
        foreach (var name in _used)
        {
            if (!IsKnown(name))
            {
                throw new ConfigException($"unknown \"{name}\" variable", (Configuration.Syntax.SourceLocation?)null);
            }
        }
    }
}
