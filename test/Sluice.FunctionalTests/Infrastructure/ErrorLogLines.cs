using System.Text.RegularExpressions;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>
/// Error log lines made comparable between nginx and Sluice: without the "YYYY/MM/DD HH:MM:SS [level] pid#tid: *N "
/// prefix (the level is kept), with loopback ports masked (every run has its own).
/// </summary>
public static partial class ErrorLogLines
{
    /// <summary>The lines of the error log at <paramref name="path"/> that contain <paramref name="marker"/>, comparable.</summary>
    public static IReadOnlyList<string> Matching(string path, string marker) =>
        File.Exists(path)
            ? File.ReadAllLines(path).Where(line => line.Contains(marker, StringComparison.Ordinal)).Select(Comparable).ToList()
            : [];

    /// <summary>Waits until the log has a line with <paramref name="marker"/>, and returns the last, comparable.</summary>
    public static async Task<string> LastAsync(string path, string marker)
    {
        await Eventually.TrueAsync(() => Matching(path, marker).Count > 0, $"a line with \"{marker}\" in {path}");
        return Matching(path, marker)[^1];
    }

    public static string Comparable(string line) =>
        Port().Replace(Prefix().Replace(line, "[$1] "), "127.0.0.1:PORT");

    [GeneratedRegex(@"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (\*\d+ )?")]
    private static partial Regex Prefix();

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex Port();
}
