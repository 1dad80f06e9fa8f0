using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;

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

/// <summary>Appends lines to one file from a single background task; the file is reopened (logrotate) on request.</summary>
public sealed class LogFileWriter : IAsyncDisposable
{
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string _path;
    private readonly Task _loop;
    private FileStream? _file;

    public LogFileWriter(string path)
    {
        _path = path;
        _file = Open(path);
        _loop = Task.Run(LoopAsync);
    }

    public void Write(string line) => _queue.Writer.TryWrite(new Item(line, null, false));

    public void Reopen() => _queue.Writer.TryWrite(new Item(null, null, true));

    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite(new Item(null, done, false));
        return done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _file?.Dispose();
    }

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        var pending = new MemoryStream();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var flushes = new List<TaskCompletionSource>();
            while (reader.TryRead(out var item))
            {
                if (item.Line is { } line)
                {
                    var bytes = Encoding.UTF8.GetBytes(line);
                    pending.Write(bytes);
                    pending.WriteByte((byte)'\n');
                }
                else if (item.Reopen)
                {
                    WritePending(pending);
                    var old = _file;
                    _file = Open(_path) ?? old;
                    if (!ReferenceEquals(old, _file))
                    {
                        old?.Dispose();
                    }
                }
                else if (item.Flushed is { } flushed)
                {
                    flushes.Add(flushed);
                }
            }

            WritePending(pending);
            foreach (var flushed in flushes)
            {
                flushed.TrySetResult();
            }
        }

        WritePending(pending);
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
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private readonly record struct Item(string? Line, TaskCompletionSource? Flushed, bool Reopen);
}
