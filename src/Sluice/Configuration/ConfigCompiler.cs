using System.Collections.Immutable;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Syntax;

namespace Sluice.Configuration;

/// <summary>
/// Interprets a parsed configuration directive by directive, in document order, the way nginx's
/// <c>ngx_conf_parse</c>/<c>ngx_conf_handler</c> do: unknown name, wrong context, wrong terminator,
/// wrong argument count, then the directive's own checks. The first error stops the run (nginx reports
/// one); warnings are kept in order. Directives without a runtime yet are listed all together at the end.
/// </summary>
public sealed class ConfigCompiler
{
    private readonly DirectiveTable _table;
    private readonly List<ConfigDiagnostic> _diagnostics = [];
    private readonly List<ConfigDiagnostic> _notImplemented = [];
    private readonly Dictionary<Type, object> _state = [];
    private readonly List<(int Order, Action Step)> _finishers = [];

    public ConfigCompiler(DirectiveTable table, ConfigEnvironment environment)
    {
        _table = table;
        Environment = environment;
    }

    /// <summary>Paths, name resolution and process facts the directives consult.</summary>
    public ConfigEnvironment Environment { get; }

    /// <summary>The top-level block; set when <see cref="Compile"/> starts.</summary>
    public ConfScope Main { get; private set; } = null!;

    /// <summary>Per-load state of one feature (created on first use), e.g. the list of upstream blocks.</summary>
    public T State<T>()
        where T : class, new()
    {
        if (!_state.TryGetValue(typeof(T), out var value))
        {
            value = new T();
            _state[typeof(T)] = value;
        }

        return (T)value;
    }

    /// <summary>Registers work to run after the whole file was read (nginx's init_conf checks), lowest order first.</summary>
    public void AfterParse(int order, Action step) => _finishers.Add((order, step));

    public void Warn(string message, SourceLocation? location) => _diagnostics.Add(new ConfigDiagnostic(DiagnosticLevel.Warn, message, location));

    internal void AddNotImplemented(string message, SourceLocation location) =>
        _notImplemented.Add(new ConfigDiagnostic(DiagnosticLevel.Emerg, message, location));

    /// <summary>Runs the whole document; builds nothing itself — features read their settings in their after-parse steps.</summary>
    public ConfigCompileResult Compile(ConfigDocument document)
    {
        Main = new ConfScope(DirectiveContext.Main, null, new SourceLocation(document.MainPath, 1));
        foreach (var hook in _table.CompileHooks)
        {
            hook(this);
        }

        try
        {
            WalkNodes(document.CommandLine, Main);
            if (document.MainError is { } error)
            {
                throw error.ToException();
            }

            WalkNodes(document.Main!.Nodes, Main);

            foreach (var (_, step) in _finishers.OrderBy(f => f.Order))
            {
                step();
            }
        }
        catch (ConfigException e)
        {
            _diagnostics.Add(ConfigDiagnostic.FromException(e));
            return new ConfigCompileResult(false, [.. _diagnostics]);
        }

        if (_notImplemented.Count > 0)
        {
            _diagnostics.AddRange(_notImplemented);
            return new ConfigCompileResult(false, [.. _diagnostics]) { MissingFeaturesOnly = true };
        }

        return new ConfigCompileResult(true, [.. _diagnostics]);
    }

    /// <summary>Interprets statements in a block of the given scope.</summary>
    public void WalkNodes(IEnumerable<ConfigNode> nodes, ConfScope scope)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case ConfigError error:
                    throw error.ToException();
                case ConfigDirective directive:
                    Dispatch(directive, scope);
                    break;
            }
        }
    }

    private void Dispatch(ConfigDirective directive, ConfScope scope)
    {
        var specs = _table.Find(directive.Name);
        if (specs.IsEmpty)
        {
            throw new ConfigException($"unknown directive \"{directive.Name}\"", directive.Location);
        }

        foreach (var spec in specs)
        {
            if ((spec.Contexts & scope.Kind) == 0)
            {
                continue;
            }

            if (!spec.IsBlock && directive.HasBlock)
            {
                throw new ConfigException($"directive \"{directive.Name}\" is not terminated by \";\"", directive.Location);
            }

            if (spec.IsBlock && !directive.HasBlock)
            {
                throw new ConfigException($"directive \"{directive.Name}\" has no opening \"{{\"", directive.Location);
            }

            if (!spec.AcceptsWordCount(directive.WordCount))
            {
                throw new ConfigException($"invalid number of arguments in \"{directive.Name}\" directive", directive.Location);
            }

            spec.Handler(new DirectiveCall(directive, spec, scope, this));

            if (spec.Support == DirectiveSupport.NotImplemented)
            {
                AddNotImplemented($"\"{directive.Name}\" directive is not implemented yet", directive.Location);
            }

            return;
        }

        throw new ConfigException($"\"{directive.Name}\" directive is not allowed here", directive.Location);
    }
}

/// <summary>The outcome of compiling: whether the configuration is usable, and every message in nginx's order.</summary>
public sealed record ConfigCompileResult(bool Success, ImmutableArray<ConfigDiagnostic> Diagnostics)
{
    /// <summary>Nginx would accept the directives: the only errors are "not implemented yet" ones, listed last.</summary>
    public bool MissingFeaturesOnly { get; init; }
}
