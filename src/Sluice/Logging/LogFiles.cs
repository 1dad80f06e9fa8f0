using System.Collections.Concurrent;
using System.Text;

namespace Sluice.Logging;

/// <summary>
/// The access log files of the process, shared by every location and generation that writes to them:
/// one background writer per file (request threads only enqueue a line), reopened together on USR1.
/// </summary>
public sealed class LogFiles : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, LogFileWriter> _writers = new(StringComparer.Ordinal);

    public LogFileWriter Get(string path) => _writers.GetOrAdd(path, p => new LogFileWriter(p));

    public void ReopenAll()
    {
        foreach (var writer in _writers.Values)
        {
            writer.Reopen();
        }
    }

    /// <summary>Waits until every line queued so far is on disk.</summary>
    public Task FlushAllAsync() => Task.WhenAll(_writers.Values.Select(w => w.FlushAsync()));

    public async ValueTask DisposeAsync()
    {
        foreach (var writer in _writers.Values)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Appends lines to one file from a single background task; the file is reopened (logrotate) on request.
/// Access log lines are gathered and written together every <see cref="BatchInterval"/> — a request only
/// enqueues its line, waking no thread and making no write(2) of its own, which is what nginx's
/// <c>access_log … buffer=</c> buys; error log lines (<see cref="WriteNow"/>) go out at once.
/// </summary>
public sealed class LogFileWriter : IAsyncDisposable
{
    /// <summary>How long an access log line may wait before it is on disk.</summary>
    public static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(50);

    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentQueue<TaskCompletionSource> _flushes = new();
    private readonly string _path;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _reopen;
    private FileStream? _file;

    public LogFileWriter(string path)
    {
        _path = path;
        _file = Open(path);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Queues an access log line; it reaches the file within <see cref="BatchInterval"/>.</summary>
    public void Write(string line) => _lines.Enqueue(line);

    /// <summary>Queues a line and has it written now (error log lines).</summary>
    public void WriteNow(string line)
    {
        _lines.Enqueue(line);
        Wake();
    }

    public void Reopen()
    {
        _reopen = true;
        Wake();
    }

    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _flushes.Enqueue(done);
        Wake();
        return done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _file?.Dispose();
        _stop.Dispose();
        _wake.Dispose();
    }

    private void Wake()
    {
        // One pending wake is enough: the loop drains everything each time.
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task LoopAsync()
    {
        var pending = new MemoryStream();
        var bytes = new byte[4096];
        var stopping = false;
        while (true)
        {
            try
            {
                await _wake.WaitAsync(BatchInterval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                stopping = true;
            }

            while (_lines.TryDequeue(out var line))
            {
                var count = Encoding.UTF8.GetMaxByteCount(line.Length) + 1;
                if (count > bytes.Length)
                {
                    bytes = new byte[Math.Max(count, bytes.Length * 2)];
                }

                var written = Variables.RawBytes.GetBytes(line, bytes);
                bytes[written] = (byte)'\n';
                pending.Write(bytes, 0, written + 1);
                if (pending.Length >= 64 * 1024)
                {
                    WritePending(pending);
                }
            }

            WritePending(pending);
            if (_reopen)
            {
                _reopen = false;
                var old = _file;
                _file = Open(_path) ?? old;
                if (!ReferenceEquals(old, _file))
                {
                    old?.Dispose();
                }
            }

            while (_flushes.TryDequeue(out var flushed))
            {
                flushed.TrySetResult();
            }

            if (stopping)
            {
                return;
            }
        }
    }

    private void WritePending(MemoryStream pending)
    {
        if (pending.Length == 0)
        {
            return;
        }

        try
        {
            _file?.Write(pending.GetBuffer(), 0, (int)pending.Length);
            _file?.Flush();
        }
        catch (IOException)
        {
            // A full disk loses log lines, never requests.
        }

        pending.SetLength(0);
    }

    private static FileStream? Open(string path)
    {
        try
        {
            return AppendOnlyFile.Open(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
