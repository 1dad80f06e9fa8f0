using System.Text;
using System.Threading.Channels;
using Sluice.Core;

namespace Sluice.Logging;

/// <summary>
/// The error log: lines in nginx's format, written by one background task so callers never wait on I/O,
/// to every configured target whose level admits them. <see cref="Reopen"/> reopens files (USR1, logrotate).
/// </summary>
public sealed class ErrorLog : IAsyncDisposable
{
    private readonly Channel<(LogLevel Level, string Line)> _queue = Channel.CreateUnbounded<(LogLevel, string)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TimeProvider _time;
    private readonly TextWriter _stderr;
    private readonly Task _writer;
    private volatile Target[] _targets;
    private int _reopenRequested;

    /// <param name="targets">Where to write; an empty list means stderr at <c>error</c>.</param>
    public ErrorLog(IReadOnlyList<ErrorLogTarget> targets, TimeProvider time, TextWriter stderr)
    {
        _time = time;
        _stderr = stderr;
        _targets = Open(targets);
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>The most verbose level any target wants; callers can skip formatting below it.</summary>
    public LogLevel MaxLevel => _targets.Length == 0 ? LogLevel.Error : _targets.Max(t => t.Spec.Level);

    public bool IsEnabled(LogLevel level) => level <= MaxLevel;

    public void Write(LogLevel level, string message)
    {
        if (!IsEnabled(level))
        {
            return;
        }

        _queue.Writer.TryWrite((level, ErrorLogFormat.Line(_time.GetLocalNow(), level, message)));
    }

    /// <summary>Switches to new targets (after a reload); the old files are closed by the writer.</summary>
    public void Retarget(IReadOnlyList<ErrorLogTarget> targets)
    {
        var old = _targets;
        _targets = Open(targets);
        _queue.Writer.TryWrite((LogLevel.Emerg, CloseMarker));
        _pendingClose.Enqueue(old);
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<Target[]> _pendingClose = new();
    private const string CloseMarker = "\0close";

    /// <summary>Asks the writer to reopen every file (nginx's USR1).</summary>
    public void Reopen()
    {
        Interlocked.Exchange(ref _reopenRequested, 1);
        _queue.Writer.TryWrite((LogLevel.Emerg, CloseMarker));
    }

    /// <summary>Waits until every line queued so far is written.</summary>
    public async Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _flushes.Enqueue(done);
        _queue.Writer.TryWrite((LogLevel.Emerg, CloseMarker));
        await done.Task.ConfigureAwait(false);
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<TaskCompletionSource> _flushes = new();

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        foreach (var target in _targets)
        {
            target.Dispose();
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                if (ReferenceEquals(item.Line, CloseMarker))
                {
                    HandleControl();
                    continue;
                }

                foreach (var target in _targets)
                {
                    if (item.Level <= target.Spec.Level)
                    {
                        target.WriteLine(item.Line);
                    }
                }
            }

            foreach (var target in _targets)
            {
                target.Flush();
            }

            while (_flushes.TryDequeue(out var flush))
            {
                flush.TrySetResult();
            }
        }
    }

    private void HandleControl()
    {
        while (_pendingClose.TryDequeue(out var old))
        {
            foreach (var target in old)
            {
                target.Dispose();
            }
        }

        if (Interlocked.Exchange(ref _reopenRequested, 0) == 1)
        {
            foreach (var target in _targets)
            {
                target.Reopen();
            }
        }
    }

    private Target[] Open(IReadOnlyList<ErrorLogTarget> specs) =>
        specs.Count == 0 ? [new Target(ErrorLogTarget.Stderr(LogLevel.Error), _stderr)] : [.. specs.Select(s => new Target(s, _stderr))];

    /// <summary>One destination: stderr, a file (append, reopenable), or memory/syslog (not written).</summary>
    private sealed class Target : IDisposable
    {
        private readonly TextWriter _stderr;
        private StreamWriter? _file;

        public Target(ErrorLogTarget spec, TextWriter stderr)
        {
            Spec = spec;
            _stderr = stderr;
            if (spec.Kind == ErrorLogKind.File)
            {
                _file = OpenFile(spec.Path);
            }
        }

        public ErrorLogTarget Spec { get; }

        public void WriteLine(string line)
        {
            try
            {
                if (Spec.Kind == ErrorLogKind.Stderr)
                {
                    _stderr.WriteLine(line);
                }
                else
                {
                    _file?.WriteLine(line);
                }
            }
            catch (IOException)
            {
                // A full disk must not take the server down; nginx also drops the line.
            }
        }

        public void Flush()
        {
            try
            {
                if (Spec.Kind == ErrorLogKind.Stderr)
                {
                    _stderr.Flush();
                }
                else
                {
                    _file?.Flush();
                }
            }
            catch (IOException)
            {
            }
        }

        public void Reopen()
        {
            if (Spec.Kind != ErrorLogKind.File)
            {
                return;
            }

            var old = _file;
            _file = OpenFile(Spec.Path) ?? old;
            if (!ReferenceEquals(old, _file))
            {
                old?.Dispose();
            }
        }

        public void Dispose() => _file?.Dispose();

        private static StreamWriter? OpenFile(string path)
        {
            try
            {
                var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                return new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = false };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
