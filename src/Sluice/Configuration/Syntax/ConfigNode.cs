using System.Collections.Immutable;

namespace Sluice.Configuration.Syntax;

/// <summary>One statement of a configuration file: a directive, or the error that ended parsing there.</summary>
public abstract class ConfigNode
{
    private protected ConfigNode(SourceLocation location) => Location = location;

    /// <summary>For a directive, the line where its terminating <c>;</c> or <c>{</c> was read — the line nginx names in errors.</summary>
    public SourceLocation Location { get; }
}

/// <summary>
/// A directive: its name (the first word), its arguments (escapes already resolved as nginx does),
/// and, for a block directive, the statements inside the braces.
/// </summary>
public sealed class ConfigDirective : ConfigNode
{
    public ConfigDirective(string name, ImmutableArray<string> args, SourceLocation location, ImmutableArray<ConfigNode>? block)
        : base(location)
    {
        Name = name;
        Args = args;
        Block = block;
    }

    public string Name { get; }

    /// <summary>The words after the name.</summary>
    public ImmutableArray<string> Args { get; }

    /// <summary>Statements between <c>{</c> and <c>}</c>; null when the directive ended with <c>;</c>.</summary>
    public ImmutableArray<ConfigNode>? Block { get; }

    public bool HasBlock => Block.HasValue;

    /// <summary>For a block directive, where its closing <c>}</c> was read (nginx reports some block-level errors there).</summary>
    public SourceLocation? BlockEnd { get; init; }

    /// <summary>For <c>include F;</c>: the files it named, parsed, in glob order. Null for any other directive.</summary>
    public ImmutableArray<ConfigFile>? Included { get; init; }

    /// <summary>For <c>include</c>: the error opening or globbing its files, raised when the include is processed.</summary>
    public ConfigError? IncludeError { get; init; }

    /// <summary>Number of words including the name, as nginx counts them (<c>cf-&gt;args-&gt;nelts</c>).</summary>
    public int WordCount => Args.Length + 1;

    public override string ToString() => Args.IsEmpty ? Name : $"{Name} {string.Join(' ', Args)}";
}

/// <summary>
/// A syntax or I/O error found while reading a file. It sits in the tree where parsing stopped, so that
/// errors are reported in document order together with semantic ones — as nginx, which reads and
/// interprets in one pass and stops at the first problem.
/// </summary>
public sealed class ConfigError : ConfigNode
{
    public ConfigError(string message, SourceLocation location, ConfigErrorLevel level = ConfigErrorLevel.Emerg, bool withLocation = true)
        : base(location)
    {
        Message = message;
        Level = level;
        WithLocation = withLocation;
    }

    public string Message { get; }

    public ConfigErrorLevel Level { get; }

    /// <summary>False for the few nginx messages that carry no file:line (a failed read of an included directory).</summary>
    public bool WithLocation { get; }

    public ConfigException ToException() => new(Message, WithLocation ? Location : null, Level);
}

/// <summary>One parsed file: its path as nginx spells it in messages, its bytes (for <c>-T</c>) and its statements.</summary>
public sealed class ConfigFile
{
    public ConfigFile(string path, byte[] content, ImmutableArray<ConfigNode> nodes)
    {
        Path = path;
        Content = content;
        Nodes = nodes;
    }

    public string Path { get; }

    public byte[] Content { get; }

    public ImmutableArray<ConfigNode> Nodes { get; }
}
