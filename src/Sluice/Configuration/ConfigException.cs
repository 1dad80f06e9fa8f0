using Sluice.Configuration.Syntax;

namespace Sluice.Configuration;

/// <summary>Severity of a configuration message, with nginx's names.</summary>
public enum ConfigErrorLevel
{
    Emerg,
    Alert,
    Crit,
}

/// <summary>
/// A configuration that nginx would refuse. <see cref="Message"/> is worded as nginx words it, without the
/// location; <see cref="Render"/> appends <c>in F:L</c> (or <c>in command line</c>) the way nginx does.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string message, SourceLocation? location, ConfigErrorLevel level = ConfigErrorLevel.Emerg)
        : base(message)
    {
        Location = location;
        Level = level;
    }

    public ConfigException()
        : this("invalid configuration", (SourceLocation?)null)
    {
    }

    public ConfigException(string message)
        : this(message, (SourceLocation?)null)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Where the problem is; null for the messages nginx prints without a location.</summary>
    public SourceLocation? Location { get; }

    public ConfigErrorLevel Level { get; }

    public string LevelName => Level switch
    {
        ConfigErrorLevel.Alert => "alert",
        ConfigErrorLevel.Crit => "crit",
        _ => "emerg",
    };

    /// <summary>The message as it appears after <c>[emerg]</c> in nginx's output.</summary>
    public string Render() => Location is { } l ? $"{Message} {l.Suffix}" : Message;
}
