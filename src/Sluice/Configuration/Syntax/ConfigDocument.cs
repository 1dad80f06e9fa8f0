using System.Collections.Immutable;

namespace Sluice.Configuration.Syntax;

/// <summary>
/// Everything read for one load: the <c>-g</c> directives (applied first, as nginx does), the main file
/// with its includes resolved in place, and every file in the order it was first opened (what <c>-T</c> prints).
/// </summary>
public sealed class ConfigDocument
{
    public ConfigDocument(string mainPath, ImmutableArray<ConfigNode> commandLine, ConfigFile? main, ConfigError? mainError, ImmutableArray<ConfigFile> files)
    {
        MainPath = mainPath;
        CommandLine = commandLine;
        Main = main;
        MainError = mainError;
        Files = files;
    }

    public string MainPath { get; }

    /// <summary>Directives given with <c>-g</c>, in main context.</summary>
    public ImmutableArray<ConfigNode> CommandLine { get; }

    /// <summary>The main file; null when it could not be read (see <see cref="MainError"/>).</summary>
    public ConfigFile? Main { get; }

    public ConfigError? MainError { get; }

    /// <summary>Each file once, in the order nginx would first open it.</summary>
    public ImmutableArray<ConfigFile> Files { get; }
}
