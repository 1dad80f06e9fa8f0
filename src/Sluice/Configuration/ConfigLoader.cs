using Sluice.Configuration.Syntax;

namespace Sluice.Configuration;

/// <summary>Reads and interprets a configuration in one call: parse (with includes) then compile.</summary>
public sealed class ConfigLoader
{
    private readonly ConfigEnvironment _environment;
    private readonly IConfigFileSystem _fileSystem;

    public ConfigLoader(ConfigEnvironment environment, IConfigFileSystem? fileSystem = null)
    {
        _environment = environment;
        _fileSystem = fileSystem ?? DiskConfigFileSystem.Instance;
    }

    public ConfigLoadResult Load(string mainPath, string? commandLineDirectives = null)
    {
        var document = new ConfigParser(_fileSystem, _environment.ConfPrefix).Parse(mainPath, commandLineDirectives);
        var compiler = new ConfigCompiler(SluiceDirectives.Table, _environment);
        var result = compiler.Compile(document);
        return new ConfigLoadResult(document, result.Success ? compiler : null, result.Diagnostics)
        {
            Incomplete = result.MissingFeaturesOnly ? compiler : null,
        };
    }
}

/// <summary>A loaded configuration: the syntax tree, the compiler state features built their model from, and the messages.</summary>
public sealed record ConfigLoadResult(ConfigDocument Document, ConfigCompiler? Compiled, System.Collections.Immutable.ImmutableArray<ConfigDiagnostic> Diagnostics)
{
    public bool Success => Compiled is not null;

    /// <summary>
    /// The compiler of a configuration that failed only because it uses features Sluice lacks: nginx's activation
    /// checks (log files, shared zone sizes) can still run on it, and nginx's verdict is theirs when they fail.
    /// </summary>
    public ConfigCompiler? Incomplete { get; init; }
}
