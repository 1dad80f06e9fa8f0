namespace Sluice.Configuration.Syntax;

/// <summary>
/// Where a directive or an error sits: a file and a 1-based line, or the <c>-g</c> command line
/// (<see cref="File"/> is null). <see cref="ToString"/> renders the suffix nginx appends to
/// configuration messages: <c>/etc/sluice/sluice.conf:12</c> or <c>command line</c>.
/// </summary>
public readonly record struct SourceLocation(string? File, int Line)
{
    public static SourceLocation CommandLine => new(null, 0);

    public bool IsCommandLine => File is null;

    /// <summary>The text nginx puts after a message: <c>in F:L</c> or <c>in command line</c>.</summary>
    public string Suffix => File is null ? "in command line" : $"in {File}:{Line}";

    public override string ToString() => File is null ? "command line" : $"{File}:{Line}";
}
