namespace Sluice.Core;

/// <summary>nginx's error log severities, most severe first (the numeric order nginx compares by).</summary>
public enum LogLevel
{
    Emerg = 1,
    Alert = 2,
    Crit = 3,
    Error = 4,
    Warn = 5,
    Notice = 6,
    Info = 7,
    Debug = 8,
}

/// <summary>Where an error log goes and from which level: <c>error_log FILE|stderr|syslog:…|memory:… [level]</c>.</summary>
public sealed record ErrorLogTarget(ErrorLogKind Kind, string Path, LogLevel Level)
{
    public static ErrorLogTarget Stderr(LogLevel level) => new(ErrorLogKind.Stderr, "", level);

    public override string ToString() => Kind == ErrorLogKind.File ? $"{Path} {Level}" : $"{Kind} {Level}";
}

public enum ErrorLogKind
{
    File,
    Stderr,
    Syslog,
    Memory,
}

/// <summary>Names of <see cref="LogLevel"/> as written in configuration and log lines.</summary>
public static class LogLevels
{
    private static readonly string[] Names = ["", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"];

    public static string Name(LogLevel level) => Names[(int)level];

    public static bool TryParse(string text, out LogLevel level)
    {
        for (var i = 1; i < Names.Length; i++)
        {
            if (string.Equals(Names[i], text, StringComparison.Ordinal))
            {
                level = (LogLevel)i;
                return true;
            }
        }

        level = default;
        return false;
    }

    /// <summary>nginx's per-module debug masks; accepted, and treated as <c>debug</c>.</summary>
    public static bool IsDebugMask(string text) => text is "debug_core" or "debug_alloc" or "debug_mutex" or "debug_event" or "debug_http" or "debug_mail" or "debug_stream";
}
