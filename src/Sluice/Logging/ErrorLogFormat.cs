using System.Globalization;
using Sluice.Core;

namespace Sluice.Logging;

/// <summary>nginx's error log line: <c>2026/11/28 04:22:05 [emerg] 2399#2399: message</c> (local time).</summary>
public static class ErrorLogFormat
{
    public static string Line(DateTimeOffset localTime, LogLevel level, string message) =>
        string.Create(CultureInfo.InvariantCulture, $"{localTime:yyyy'/'MM'/'dd HH':'mm':'ss} [{LogLevels.Name(level)}] {Environment.ProcessId}#{Environment.CurrentManagedThreadId}: {message}");
}
