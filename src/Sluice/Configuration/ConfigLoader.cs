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
        return new ConfigLoadResult(document, result.Success ? compiler : null, result.Diagnostics, result.NotImplemented);
    }
}

/// <summary>
/// A loaded configuration: the syntax tree, the compiler state features built their model from, and the
/// messages — nginx's (<see cref="Messages"/>) and Sluice's "not implemented yet" (<see cref="NotImplemented"/>).
/// </summary>
public sealed record ConfigLoadResult(
    ConfigDocument Document,
    ConfigCompiler? Compiled,
    System.Collections.Immutable.ImmutableArray<ConfigDiagnostic> Messages,
    System.Collections.Immutable.ImmutableArray<ConfigDiagnostic> NotImplemented)
{
    /// <summary>nginx would accept it (<see cref="Compiled"/> is set).</summary>
    public bool IsValid => Compiled is not null;

    /// <summary>Valid and every directive in it can run.</summary>
    public bool Success => IsValid && NotImplemented.IsEmpty;

    /// <summary>Every message: nginx's, then the not-implemented ones.</summary>
    public System.Collections.Immutable.ImmutableArray<ConfigDiagnostic> Diagnostics => Messages.AddRange(NotImplemented);
}
