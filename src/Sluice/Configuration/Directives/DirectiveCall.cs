using System.Collections.Immutable;
using Sluice.Configuration.Syntax;
using Sluice.Configuration.Values;

namespace Sluice.Configuration.Directives;

/// <summary>
/// One occurrence of a directive being interpreted: its words, the block it is in, and the ways to answer
/// as nginx would — an error worded like nginx's, a warning, a setting stored for inheritance.
/// </summary>
public sealed class DirectiveCall
{
    internal DirectiveCall(ConfigDirective directive, DirectiveSpec spec, ConfScope scope, ConfigCompiler compiler)
    {
        Directive = directive;
        Spec = spec;
        Scope = scope;
        Compiler = compiler;
    }

    public ConfigDirective Directive { get; }

    public DirectiveSpec Spec { get; }

    /// <summary>The block the directive is in.</summary>
    public ConfScope Scope { get; }

    public ConfigCompiler Compiler { get; }

    public string Name => Directive.Name;

    /// <summary>The arguments (nginx's <c>value[1..]</c>).</summary>
    public ImmutableArray<string> Args => Directive.Args;

    public SourceLocation Location => Directive.Location;

    /// <summary>An error worded freely: <c>invalid value "x" in F:L</c>.</summary>
    public ConfigException Error(string message) => new(message, Location);

    /// <summary>An error in nginx's returned-string form: <c>"name" directive {text} in F:L</c>.</summary>
    public ConfigException DirectiveError(string text) => new($"\"{Name}\" directive {text}", Location);

    public ConfigException Duplicate() => DirectiveError("is duplicate");

    public void Warn(string message) => Compiler.Warn(message, Location);

    /// <summary>Records that a parameter or form of this directive has no runtime yet; reported if the configuration is otherwise valid.</summary>
    public void NotImplemented(string what) => Compiler.AddNotImplemented($"{what} is not implemented yet", Location);

    /// <summary>Stores a setting in the current block, or fails with nginx's duplicate error.</summary>
    public void Set<T>(Setting<T> setting, T value)
    {
        if (!Scope.TrySet(setting, value, Location))
        {
            throw Duplicate();
        }
    }

    /// <summary>Fails with nginx's duplicate error if the current block already set this.</summary>
    public void EnsureNotSet(Setting setting)
    {
        if (Scope.IsSetHere(setting))
        {
            throw Duplicate();
        }
    }

    /// <summary>Interprets the directive's block in <paramref name="scope"/>.</summary>
    public void WalkBlock(ConfScope scope) => Compiler.WalkNodes(Directive.Block ?? [], scope);

    public long ParseSize(string text) => NginxValues.TryParseSize(text, out var v) ? v : throw DirectiveError("invalid value");

    public long ParseOffset(string text) => NginxValues.TryParseOffset(text, out var v) ? v : throw DirectiveError("invalid value");

    public TimeSpan ParseMsec(string text) => NginxValues.TryParseMilliseconds(text, out var v) ? TimeSpan.FromMilliseconds(v) : throw DirectiveError("invalid value");

    public TimeSpan ParseSec(string text) => NginxValues.TryParseSeconds(text, out var v) && v <= int.MaxValue ? TimeSpan.FromSeconds(v) : throw DirectiveError("invalid value");

    public long ParseNumber(string text) => NginxValues.TryParseNumber(text, out var v) ? v : throw DirectiveError("invalid number");

    public bool ParseFlag(string text) => NginxValues.TryParseFlag(text, out var v)
        ? v
        : throw Error($"invalid value \"{text}\" in \"{Name}\" directive, it must be \"on\" or \"off\"");
}
