namespace Sluice.Logging.Configuration;

/// <summary>
/// What the log module collects in one configuration load (<c>compiler.State&lt;LogConfState&gt;()</c>): the
/// formats in definition order (the predefined "combined" first), the buffer settings of each buffered file, and
/// the default log that blocks without any <c>access_log</c> write to.
/// </summary>
public sealed class LogConfState
{
    private readonly List<LogFormat> _formats = [LogFormat.Combined];

    public IReadOnlyList<LogFormat> Formats => _formats;

    /// <summary>Buffers are per file, shared by every <c>access_log</c> that names it.</summary>
    public Dictionary<string, AccessLogBuffer> BuffersByPath { get; } = new(StringComparer.Ordinal);

    /// <summary>nginx's default <c>access_log logs/access.log combined</c>; set once the http block is read, if any server needs it.</summary>
    public AccessLog? DefaultLog { get; set; }

    /// <summary>Definitions are unique by exact name…</summary>
    public bool IsDefined(string name) => _formats.Exists(f => f.Name == name);

    public void Add(LogFormat format) => _formats.Add(format);

    /// <summary>…but <c>access_log</c> finds a format ignoring case (the first definition wins).</summary>
    public LogFormat? Find(string name) => _formats.Find(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
}
