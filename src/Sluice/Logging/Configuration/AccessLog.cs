using System.Collections.Immutable;
using Sluice.Configuration.Syntax;
using Sluice.Variables;

namespace Sluice.Logging.Configuration;

/// <summary>Where an <c>access_log</c> writes.</summary>
public abstract record AccessLogDestination;

/// <summary>A file, by full path (relative names resolved against the prefix); opened at load, reopened on USR1.</summary>
public sealed record FileLogDestination(string FullPath) : AccessLogDestination;

/// <summary><c>access_log ""</c>: nginx's empty file name is standard error.</summary>
public sealed record StderrLogDestination : AccessLogDestination;

/// <summary>A path with variables, evaluated per request (full path, so relative to the prefix).</summary>
public sealed record VariablePathLogDestination(VariableTemplate Path) : AccessLogDestination;

public sealed record SyslogLogDestination(SyslogTarget Target) : AccessLogDestination;

/// <summary><c>buffer=</c>, <c>flush=</c> and <c>gzip[=level]</c>: lines are collected and written in blocks.</summary>
public sealed record AccessLogBuffer(long Size, TimeSpan? Flush, int GzipLevel);

/// <summary>
/// One <c>access_log</c> line: destination, format and the <c>if=</c> condition (log unless it is "" or "0").
/// Buffering belongs to the file (<see cref="LogConfState.BuffersByPath"/>), shared by every line naming it.
/// <see cref="Location"/> is null for nginx's default log.
/// </summary>
public sealed record AccessLog(AccessLogDestination Destination, LogFormat Format, VariableTemplate? Condition, SourceLocation? Location);

/// <summary>
/// The access logs of one block: its <c>access_log</c> lines and whether <c>access_log off</c> was given (which wins
/// at run time over any line of the same block). A block without either inherits its parent's.
/// </summary>
public sealed record AccessLogConfig(bool Off, ImmutableArray<AccessLog> Logs)
{
    public static AccessLogConfig Empty { get; } = new(false, []);
}
