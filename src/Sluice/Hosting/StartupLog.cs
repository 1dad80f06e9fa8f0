using Sluice.Configuration;
using Sluice.Core;
using Sluice.Logging;

namespace Sluice.Hosting;

/// <summary>
/// The log used before a configuration is running (nginx's <c>ngx_log_init</c>): stderr by default, or the
/// <c>-e</c> file. Lines use the error log format; when the log is a file, warnings and worse are also
/// echoed to stderr as <c>sluice: [level] message</c>, as nginx does.
/// </summary>
public sealed class StartupLog
{
    private readonly TextWriter _stderr;
    private readonly string? _filePath;
    private readonly TimeProvider _time;

    public StartupLog(TextWriter stderr, string? filePath, TimeProvider time)
    {
        _stderr = stderr;
        _time = time;
        if (filePath is null)
        {
            return;
        }

        try
        {
            using var probe = new FileStream(filePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            _filePath = filePath;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var (errno, text) = Errno.From(e);
            Stderr($"[alert] could not open error log file: open() \"{filePath}\" failed ({errno}: {text})");
        }
    }

    /// <summary>Writes <c>sluice: message</c> to stderr (nginx's <c>ngx_log_stderr</c>).</summary>
    public void Stderr(string message)
    {
        _stderr.WriteLine($"{ProductInfo.Name}: {message}");
        _stderr.Flush();
    }

    public void Write(LogLevel level, string message)
    {
        var line = ErrorLogFormat.Line(_time.GetLocalNow(), level, message);
        if (_filePath is null)
        {
            _stderr.WriteLine(line);
            _stderr.Flush();
            return;
        }

        try
        {
            File.AppendAllText(_filePath, line + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        if (level <= LogLevel.Warn)
        {
            Stderr($"[{LogLevels.Name(level)}] {message}");
        }
    }

    public void Write(ConfigDiagnostic diagnostic) => Write(ToLevel(diagnostic.Level), diagnostic.Text);

    public static LogLevel ToLevel(DiagnosticLevel level) => level switch
    {
        DiagnosticLevel.Emerg => LogLevel.Emerg,
        DiagnosticLevel.Alert => LogLevel.Alert,
        DiagnosticLevel.Crit => LogLevel.Crit,
        DiagnosticLevel.Error => LogLevel.Error,
        DiagnosticLevel.Warn => LogLevel.Warn,
        _ => LogLevel.Notice,
    };
}

/// <summary>Maps .NET I/O exceptions to the errno and text nginx would print.</summary>
internal static class Errno
{
    public static (int Errno, string Text) From(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => (2, "No such file or directory"),
        UnauthorizedAccessException => (13, "Permission denied"),
        PathTooLongException => (36, "File name too long"),
        IOException io when (io.HResult & 0xFFFF) is > 0 and < 200 => (io.HResult & 0xFFFF, UnixProcess.StrError(io.HResult & 0xFFFF)),
        _ => (5, e.Message),
    };
}
