using System.Text.RegularExpressions;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>Reading the access log lines a server writes (in the background: a line may come a moment after its response).</summary>
public static partial class LogLines
{
    /// <summary>The file's lines once there are <paramref name="expected"/> of them, or what there is after 10 s.</summary>
    public static async Task<List<string>> WaitForAsync(string path, int expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var lines = File.Exists(path) ? (await File.ReadAllLinesAsync(path)).ToList() : [];
            if (lines.Count >= expected || DateTime.UtcNow > deadline)
            {
                return lines;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Replaces a <c>$time_local</c> in brackets with "[TIME]".</summary>
    public static string MaskTimeLocal(string line) => TimeLocal().Replace(line, "[TIME]");

    [GeneratedRegex(@"\[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]")]
    private static partial Regex TimeLocal();
}
