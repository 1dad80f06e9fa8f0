using System.Threading.Channels;
using Sluice.Core;

namespace Sluice.Logging;

/// <summary>
/// An error log: lines in nginx's format sent to every target whose level admits them — files (shared
/// writers from <see cref="LogFiles"/>, reopened on USR1) or stderr. Callers never wait on I/O. The process
/// log comes from the main <c>error_log</c>s; a location's comes from its own (or its parents').
/// </summary>
public sealed class ErrorLog
{
    private readonly LogFiles _files;
    private readonly TimeProvider _time;
    private readonly StderrWriter _stderr;
    private volatile Target[] _targets;

    public ErrorLog(IReadOnlyList<ErrorLogTarget> targets, LogFiles files, TimeProvider time, StderrWriter stderr)
    {
        _files = files;
        _time = time;
        _stderr = stderr;
        _targets = Open(targets);
    }

    /// <summary>The most verbose level any target wants; callers can skip formatting below it.</summary>
    public LogLevel MaxLevel { get; private set; }

    public bool IsEnabled(LogLevel level) => level <= MaxLevel;

    /// <summary>Another log with other targets, sharing this one's files and stderr (a location's <c>error_log</c>).</summary>
    public ErrorLog WithTargets(IReadOnlyList<ErrorLogTarget> targets) => new(targets, _files, _time, _stderr);

    public void Write(LogLevel level, string message)
    {
        if (!IsEnabled(level))
        {
            return;
        }

        var line = ErrorLogFormat.Line(_time.GetLocalNow(), level, message);
        foreach (var target in _targets)
        {
            if (level > target.Level)
            {
                continue;
            }

            if (target.File is { } file)
            {
                file.WriteNow(line);
            }
            else if (target.ToStderr)
            {
                _stderr.Write(line);
            }
        }
    }

    /// <summary>Switches to new targets (after a reload).</summary>
    public void Retarget(IReadOnlyList<ErrorLogTarget> targets) => _targets = Open(targets);

    /// <summary>Waits until every line written so far is out.</summary>
    public Task FlushAsync() => Task.WhenAll(_files.FlushAllAsync(), _stderr.FlushAsync());

    private Target[] Open(IReadOnlyList<ErrorLogTarget> specs)
    {
        Target[] targets = specs.Count == 0
            ? [new Target(LogLevel.Error, null, true)]
            : [.. specs.Select(s => new Target(s.Level, s.Kind == ErrorLogKind.File ? _files.Get(s.Path) : null, s.Kind == ErrorLogKind.Stderr))];
        MaxLevel = targets.Max(t => t.Level);
        return targets;
    }

    /// <summary>One destination: a file writer, stderr, or nothing (memory buffers are not kept).</summary>
    private sealed record Target(LogLevel Level, LogFileWriter? File, bool ToStderr);
}

/// <summary>Writes lines to stderr from one background task, so a slow terminal or pipe never stalls a request.</summary>
public sealed class StderrWriter : IAsyncDisposable
{
    private readonly Channel<(string? Line, TaskCompletionSource? Flushed)> _queue = Channel.CreateUnbounded<(string?, TaskCompletionSource?)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TextWriter _stderr;
    private readonly Task _loop;

    public StderrWriter(TextWriter stderr)
    {
        _stderr = stderr;
        _loop = Task.Run(LoopAsync);
    }

    public void Write(string line) => _queue.Writer.TryWrite((line, null));

    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite((null, done));
        return done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                try
                {
                    if (item.Line is { } line)
                    {
                        _stderr.WriteLine(line);
                    }
                    else
                    {
                        _stderr.Flush();
                        item.Flushed?.TrySetResult();
                    }
                }
                catch (IOException)
                {
                    item.Flushed?.TrySetResult();
                }
            }

            try
            {
                _stderr.Flush();
            }
            catch (IOException)
            {
            }
        }
    }
}
