using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Sluice.Core;

namespace Sluice.Proxy.Runtime;

/// <summary>
/// A buffered response's bytes between its upstream and a client slower than it (nginx's event pipe with
/// <c>proxy_buffering on</c>). The upstream side adds full buffers; they wait in memory (proxy_buffers) and, once
/// those are all taken, in a temp file (up to proxy_max_temp_file_size, gathered into writes of
/// proxy_temp_file_write_size); the client side takes them in order. So the upstream is read at its own pace,
/// and let go as soon as its response is complete, while the client reads at its own; only when memory and the
/// file are both full does the upstream wait for the client. Used only once a client has been slow: a response
/// the client takes as fast as it comes never gets one.
/// </summary>
internal sealed class ResponseSpool
{
    private readonly ResponseBuffering _limits;
    private readonly Action<LogLevel, string> _log;
    private readonly Queue<SpoolPiece> _queue = new();
    private readonly List<ReadOnlyMemory<byte>> _gathered = [];
    private int _gatheredBytes;
    private int _inMemory;
    private SafeFileHandle? _file;
    private long _fileSize;
    private bool _noFile;
    private bool _complete;
    private bool _closed;
    private Exception? _clientGone;
    private TaskCompletionSource? _dataAdded;
    private TaskCompletionSource? _bufferFreed;

    /// <param name="log">Logs with the request's context ("… while reading upstream, client: …").</param>
    public ResponseSpool(ResponseBuffering limits, Action<LogLevel, string> log)
    {
        _limits = limits;
        _log = log;
        _noFile = limits.MaxTempFileSize == 0;
    }

    /// <summary>The upstream's response ended before its end (the client gets what came, then the connection closes).</summary>
    public bool UpstreamFailed { get; private set; }

    /// <summary>Bytes gathered for the temp file and not written yet.</summary>
    public bool HasGathered => _gatheredBytes > 0;

    /// <summary>A buffer for the upstream side to fill (proxy_buffers' size).</summary>
    public byte[] RentBuffer() => ArrayPool<byte>.Shared.Rent(_limits.BufferSize);

    /// <summary>
    /// Adds a filled buffer (the spool owns it now): to memory while a proxy_buffers buffer is free, else to what
    /// is gathered for the temp file; when neither can take it, waits until the client side frees a buffer.
    /// Throws <see cref="OperationCanceledException"/> once the client is gone.
    /// </summary>
    public async ValueTask AddAsync(byte[] buffer, int length)
    {
        var added = false;
        while (!added)
        {
            Task? freed = null;
            lock (_queue)
            {
                if (_clientGone is { } gone)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw new OperationCanceledException("the client is gone", gone);
                }

                // Once bytes are gathered for the file, later ones queue behind them: order is kept.
                if (_gatheredBytes == 0 && _inMemory < _limits.BufferCount)
                {
                    Enqueue(new SpoolPiece(buffer, 0, length));
                    _inMemory++;
                    return;
                }

                if (!_noFile && _fileSize + _gatheredBytes + length <= _limits.MaxTempFileSize)
                {
                    _gathered.Add(buffer.AsMemory(0, length));
                    _gatheredBytes += length;
                    added = true;
                    if (_gatheredBytes < _limits.TempFileWriteSize)
                    {
                        return;
                    }
                }
                else if (_gatheredBytes == 0)
                {
                    freed = (_bufferFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
            }

            if (freed is not null)
            {
                await freed.ConfigureAwait(false);
            }
            else
            {
                await WriteGatheredAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes what is gathered to the temp file (made on first use) and queues it as one piece.</summary>
    public async ValueTask WriteGatheredAsync()
    {
        if (_gatheredBytes == 0)
        {
            return;
        }

        if (_file is null && !_noFile)
        {
            try
            {
                // open(2) and unlink(2) off the socket thread that runs this request (and others).
                var directory = _limits.TempDirectory;
                (_file, var name) = await Task.Run(() => (directory.Create(out var path), path)).ConfigureAwait(false);
                _log(LogLevel.Warn, $"an upstream response is buffered to a temporary file {name}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                var (errno, text) = Hosting.Errno.From(e);
                _log(LogLevel.Crit, $"open() \"{_limits.TempDirectory.Path}/…\" failed ({errno}: {text})");
                _noFile = true;
            }
        }

        if (_file is not null)
        {
            try
            {
                await RandomAccess.WriteAsync(_file, _gathered, _fileSize).ConfigureAwait(false);
                lock (_queue)
                {
                    Enqueue(new SpoolPiece(null, _fileSize, _gatheredBytes));
                    _fileSize += _gatheredBytes;
                    foreach (var written in _gathered)
                    {
                        ReturnGathered(written);
                    }

                    _gathered.Clear();
                    _gatheredBytes = 0;
                }

                return;
            }
            catch (IOException e)
            {
                var (errno, text) = Hosting.Errno.From(e);
                _log(LogLevel.Crit, $"pwritev() has written only 0 of {_gatheredBytes} to temporary file ({errno}: {text})");
                _noFile = true;
            }
        }

        // No temp file after all: what was gathered waits in memory (beyond proxy_buffers by one write at most).
        lock (_queue)
        {
            foreach (var gathered in _gathered)
            {
                System.Runtime.InteropServices.MemoryMarshal.TryGetArray(gathered, out var segment);
                Enqueue(new SpoolPiece(segment.Array, 0, gathered.Length));
                _inMemory++;
            }

            _gathered.Clear();
            _gatheredBytes = 0;
        }
    }

    /// <summary>The upstream side is done: what is gathered is written and the client side told there is no more.</summary>
    public async ValueTask CompleteAsync(bool failed)
    {
        await WriteGatheredAsync().ConfigureAwait(false);
        lock (_queue)
        {
            UpstreamFailed = failed;
            _complete = true;
            Signal(ref _dataAdded);
        }
    }

    /// <summary>The next piece in order, waiting for one; <see cref="SpoolPiece.IsEnd"/> when the upstream side is done and all was taken.</summary>
    public async ValueTask<SpoolPiece> TakeAsync()
    {
        while (true)
        {
            Task added;
            lock (_queue)
            {
                if (_queue.TryDequeue(out var piece))
                {
                    return piece;
                }

                if (_complete)
                {
                    return default;
                }

                added = (_dataAdded ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await added.ConfigureAwait(false);
        }
    }

    /// <summary>Reads bytes of a file piece (at <paramref name="offset"/> in the temp file).</summary>
    public ValueTask<int> ReadAsync(Memory<byte> destination, long offset) => RandomAccess.ReadAsync(_file!, destination, offset);

    /// <summary>The client side has sent a memory piece: its buffer is free for the upstream side.</summary>
    public void Return(byte[] buffer)
    {
        ArrayPool<byte>.Shared.Return(buffer);
        lock (_queue)
        {
            _inMemory--;
            Signal(ref _bufferFreed);
        }
    }

    /// <summary>The client went away (or timed out): the upstream side stops at its next buffer.</summary>
    public void ClientGone(Exception reason)
    {
        lock (_queue)
        {
            _clientGone ??= reason;
            Signal(ref _bufferFreed);
        }
    }

    /// <summary>
    /// Gives back every buffer still held and closes the temp file, once both sides are done (the exchange that
    /// made the spool calls it when its client pump has ended).
    /// </summary>
    public void Close()
    {
        lock (_queue)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            while (_queue.TryDequeue(out var piece))
            {
                if (piece.Buffer is { } buffer)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            foreach (var gathered in _gathered)
            {
                ReturnGathered(gathered);
            }

            _gathered.Clear();
            _file?.Dispose();
        }
    }

    private void Enqueue(SpoolPiece piece)
    {
        _queue.Enqueue(piece);
        Signal(ref _dataAdded);
    }

    private static void ReturnGathered(ReadOnlyMemory<byte> gathered)
    {
        if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(gathered, out var segment) && segment.Array is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private static void Signal(ref TaskCompletionSource? waiter)
    {
        var waiting = waiter;
        waiter = null;
        waiting?.TrySetResult();
    }
}

/// <summary>Bytes of a spooled response: a buffer in memory (<see cref="Buffer"/>), or a range of the temp file.</summary>
internal readonly record struct SpoolPiece(byte[]? Buffer, long Offset, int Length)
{
    public bool IsEnd => Length == 0;
}
