using Sluice.Configuration.Syntax;

namespace Sluice.Configuration;

/// <summary>Levels of configuration messages, nginx's names (only those a configuration check produces).</summary>
public enum DiagnosticLevel
{
    Emerg,
    Alert,
    Crit,
    Error,
    Warn,
    Notice,
}

/// <summary>One message from loading a configuration, in the order nginx would print it.</summary>
public sealed record ConfigDiagnostic(DiagnosticLevel Level, string Message, SourceLocation? Location)
{
    public string LevelName => Level.ToString().ToLowerInvariant();

    /// <summary>The text after <c>[level]</c>: the message and, where nginx gives one, <c>in F:L</c>.</summary>
    public string Text => Location is { } l ? $"{Message} {l.Suffix}" : Message;

    public override string ToString() => $"[{LevelName}] {Text}";

    public static ConfigDiagnostic FromException(ConfigException e) => new(
        e.Level switch
        {
            ConfigErrorLevel.Alert => DiagnosticLevel.Alert,
            ConfigErrorLevel.Crit => DiagnosticLevel.Crit,
            _ => DiagnosticLevel.Emerg,
        },
        e.Message,
        e.Location);
}
