using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Sluice.Transport;

/// <summary>
/// A non-blocking socket served by one <see cref="EpollLoop"/>, registered once, edge-triggered. It keeps nginx's
/// readiness flags: a read that returns less than asked for, or EAGAIN, means the socket is drained, and the next
/// read waits for the loop's event instead of asking the kernel (one recv(2) per arrival instead of two); a write
/// that could not send everything waits for the socket to be writable again. The <see cref="System.Net.Sockets.Socket"/>
/// owns the descriptor (options, endpoints, shutdown, close); this class does its reads and writes.
/// </summary>
/// <remarks>
/// A short lock per socket orders the system calls and the loop's readiness updates: a read that found nothing
/// and the event that arrives just after cannot cross (the event waits for the lock and then wakes the waiter).
/// A waiter is woken on the loop's thread and runs its continuation there (as nginx runs a handler).
/// </remarks>
internal sealed class LoopSocket : IEpollHandler
{
    private const uint Interest = LinuxSockets.EpollIn | LinuxSockets.EpollOut | LinuxSockets.EpollRdHup | LinuxSockets.EpollEdgeTriggered;
    private const int MaxGather = 32;

    private readonly Lock _lock = new();
    private readonly Readiness _read;
    private readonly Readiness _write;
    private ulong _token;
    private bool _registered;
    private bool _readReady;
    private bool _writeReady;
    private bool _peerClosed;
    private bool _closed;

    /// <param name="socket">A socket in non-blocking mode whose descriptor nothing else reads or writes.</param>
    /// <param name="readReady">Whether input may already be waiting (an accepted connection); false for a fresh connect.</param>
    /// <param name="registered">
    /// False for a socket still to be connected: <see cref="ConnectAsync"/> registers it once the handshake has
    /// started (a socket not yet connected polls as hung up, which would read as the peer's close).
    /// </param>
    public LoopSocket(Socket socket, EpollLoop loop, bool readReady, bool registered = true)
    {
        Socket = socket;
        Loop = loop;
        _readReady = readReady;
        _writeReady = true;
        _read = new Readiness(this);
        _write = new Readiness(this);
        if (registered)
        {
            Register();
        }
    }

    private void Register()
    {
        _token = Loop.Add((int)Socket.SafeHandle.DangerousGetHandle(), Interest, this);
        _registered = true;
    }

    public Socket Socket { get; }

    public EpollLoop Loop { get; }

    /// <summary>
    /// Whether nothing arrived since the socket was last drained — no byte, no close, no error — as the loop's
    /// events tell it, without a system call; the kernel is asked (a peeking recv) when the last read filled its
    /// buffer or when <paramref name="askKernel"/>: what has reached the kernel but not yet the loop counts too.
    /// </summary>
    public bool IsIdleAndOpen(bool askKernel)
    {
        lock (_lock)
        {
            if (_closed || _peerClosed)
            {
                return false;
            }

            return !(_readReady || askKernel) || !LinuxSockets.HasInputOrClosed(Socket.SafeHandle);
        }
    }

    /// <summary>One recv(2) when input may be there: bytes read (0 at end of stream), -EAGAIN when there is none yet, or -errno.</summary>
    public int TryReceive(Span<byte> buffer)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return -9;
            }

            if (!_readReady)
            {
                return -LinuxSockets.EAGAIN;
            }

            var read = LinuxSockets.Receive(Socket.SafeHandle, buffer);
            _peerClosed |= read == 0;
            if (read == -LinuxSockets.EAGAIN || (read > 0 && read < buffer.Length && !_peerClosed))
            {
                _readReady = false;
            }

            return read;
        }
    }

    /// <summary>One send(2) when the socket may take bytes: bytes written, -EAGAIN when it cannot yet, or -errno.</summary>
    public int TrySend(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return -9;
            }

            if (!_writeReady)
            {
                return -LinuxSockets.EAGAIN;
            }

            var sent = LinuxSockets.Send(Socket.SafeHandle, data);
            if (sent == -LinuxSockets.EAGAIN || (sent >= 0 && sent < data.Length))
            {
                _writeReady = false;
            }

            return sent;
        }
    }

    /// <summary>Completes when input (or the peer's close, or an error) may be there; at once when it may already be.</summary>
    public ValueTask WaitReadableAsync(CancellationToken cancel) => Wait(_read, ref _readReady, cancel);

    /// <summary>Completes when the socket may take bytes again.</summary>
    public ValueTask WaitWritableAsync(CancellationToken cancel) => Wait(_write, ref _writeReady, cancel);

    private ValueTask Wait(Readiness readiness, ref bool ready, CancellationToken cancel)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return ValueTask.FromException(LinuxSockets.Error(9));
            }

            if (ready)
            {
                return ValueTask.CompletedTask;
            }

            return readiness.Begin(cancel);
        }
    }

    /// <summary>Reads at least one byte, or 0 at end of stream; waits as long as it takes unless cancelled.</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancel)
    {
        var read = TryReceive(buffer.Span);
        return read >= 0 ? new ValueTask<int>(read)
            : read == -LinuxSockets.EAGAIN ? ReceiveWhenReadableAsync(buffer, cancel)
            : ValueTask.FromException<int>(LinuxSockets.Error(-read));
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceiveWhenReadableAsync(Memory<byte> buffer, CancellationToken cancel)
    {
        while (true)
        {
            await WaitReadableAsync(cancel).ConfigureAwait(false);
            var read = TryReceive(buffer.Span);
            if (read >= 0)
            {
                return read;
            }

            if (read != -LinuxSockets.EAGAIN)
            {
                throw LinuxSockets.Error(-read);
            }
        }
    }

    /// <summary>Sends all of <paramref name="data"/>, waiting for the socket to drain as often as needed.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancel)
    {
        while (!data.IsEmpty)
        {
            var sent = TrySend(data.Span);
            if (sent == -LinuxSockets.EAGAIN || (sent >= 0 && sent < data.Length))
            {
                return SendWhenWritableAsync(data[Math.Max(sent, 0)..], cancel);
            }

            if (sent < 0)
            {
                return ValueTask.FromException(LinuxSockets.Error(-sent));
            }

            data = data[sent..];
        }

        return ValueTask.CompletedTask;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendWhenWritableAsync(ReadOnlyMemory<byte> data, CancellationToken cancel)
    {
        while (!data.IsEmpty)
        {
            await WaitWritableAsync(cancel).ConfigureAwait(false);
            var sent = TrySend(data.Span);
            if (sent == -LinuxSockets.EAGAIN)
            {
                continue;
            }

            if (sent < 0)
            {
                throw LinuxSockets.Error(-sent);
            }

            data = data[sent..];
        }
    }

    /// <summary>Sends every segment of <paramref name="data"/> (one sendmsg(2) for up to 32 of them at a time).</summary>
    public ValueTask SendAsync(ReadOnlySequence<byte> data, CancellationToken cancel) =>
        data.IsSingleSegment ? SendAsync(data.First, cancel) : SendSegmentsAsync(data, cancel);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendSegmentsAsync(ReadOnlySequence<byte> data, CancellationToken cancel)
    {
        while (!data.IsEmpty)
        {
            var sent = TrySendGather(data);
            if (sent == -LinuxSockets.EAGAIN)
            {
                await WaitWritableAsync(cancel).ConfigureAwait(false);
                continue;
            }

            if (sent < 0)
            {
                throw LinuxSockets.Error((int)-sent);
            }

            data = data.Slice(sent);
        }
    }

    private unsafe long TrySendGather(ReadOnlySequence<byte> data)
    {
        var vectors = stackalloc LinuxSockets.IoVector[MaxGather];
        var pins = default(Pins);
        var count = 0;
        long total = 0;
        try
        {
            foreach (var segment in data)
            {
                if (segment.IsEmpty)
                {
                    continue;
                }

                pins[count] = segment.Pin();
                vectors[count] = new LinuxSockets.IoVector { Base = pins[count].Pointer, Length = segment.Length };
                total += segment.Length;
                if (++count == MaxGather)
                {
                    break;
                }
            }

            lock (_lock)
            {
                if (_closed)
                {
                    return -9;
                }

                if (!_writeReady)
                {
                    return -LinuxSockets.EAGAIN;
                }

                var sent = LinuxSockets.SendGather(Socket.SafeHandle, vectors, count);
                if (sent == -LinuxSockets.EAGAIN || (sent >= 0 && sent < total))
                {
                    _writeReady = false;
                }

                return sent;
            }
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                pins[i].Dispose();
            }
        }
    }

    /// <summary>Connects this (fresh, non-blocking) socket to <paramref name="peer"/>; throws <see cref="SocketException"/>.</summary>
    public async ValueTask ConnectAsync(EndPoint peer, CancellationToken cancel)
    {
        var address = peer.Serialize();
        int result;
        lock (_lock)
        {
            result = _closed ? -9 : LinuxSockets.Connect(Socket.SafeHandle, address.Buffer.Span[..address.Size]);
            if (result == -LinuxSockets.EINPROGRESS)
            {
                _writeReady = false;
            }

            if (result is 0 or -LinuxSockets.EINPROGRESS)
            {
                Register();
            }
        }

        if (result == -LinuxSockets.EINPROGRESS)
        {
            await WaitWritableAsync(cancel).ConfigureAwait(false);
            result = -LinuxSockets.PendingError(Socket.SafeHandle);
        }

        if (result != 0)
        {
            throw LinuxSockets.Error(-result);
        }
    }

    /// <summary>Closes the socket; whatever waits fails with <see cref="SocketError.OperationAborted"/>.</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            if (_registered)
            {
                Loop.Remove(_token);
            }

            Socket.Dispose();
        }

        _read.Fail(LinuxSockets.Error(9));
        _write.Fail(LinuxSockets.Error(9));
    }

    public void OnEvents(uint events)
    {
        CancellationTokenRegistration? reader = null, writer = null;
        lock (_lock)
        {
            if ((events & (LinuxSockets.EpollIn | LinuxSockets.EpollRdHup | LinuxSockets.EpollHup | LinuxSockets.EpollErr)) != 0)
            {
                _readReady = true;
                _peerClosed |= (events & (LinuxSockets.EpollRdHup | LinuxSockets.EpollHup | LinuxSockets.EpollErr)) != 0;
                reader = _read.TakeLocked();
            }

            if ((events & (LinuxSockets.EpollOut | LinuxSockets.EpollHup | LinuxSockets.EpollErr)) != 0)
            {
                _writeReady = true;
                writer = _write.TakeLocked();
            }
        }

        if (reader is { } wakeReader)
        {
            _read.Succeed(wakeReader);
        }

        if (writer is { } wakeWriter)
        {
            _write.Succeed(wakeWriter);
        }
    }

    [InlineArray(MaxGather)]
    private struct Pins
    {
        private MemoryHandle _first;
    }

    /// <summary>
    /// One direction's waiter, reused: at most one wait per direction is pending (a socket has one reader and one
    /// writer at a time). Its state changes under the socket's lock; the waiter is woken outside it.
    /// </summary>
    private sealed class Readiness(LoopSocket owner) : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core;
        private CancellationTokenRegistration _registration;
        private CancellationToken _cancel;

        /// <summary>A wait is pending (read and written under the owner's lock).</summary>
        private bool Waiting { get; set; }

        /// <summary>Called under the owner's lock when the socket is not ready.</summary>
        public ValueTask Begin(CancellationToken cancel)
        {
            _core.Reset();
            Waiting = true;
            _cancel = cancel;
            var version = _core.Version;

            // Registered under the owner's lock (it is re-entrant): a token already cancelled runs the callback here,
            // which finds the wait pending and ends it.
            if (cancel.CanBeCanceled)
            {
                _registration = cancel.UnsafeRegister(static (state, _) => ((Readiness)state!).Cancelled(), this);
            }

            return new ValueTask(this, version);
        }

        /// <summary>Wakes the waiter ended by <see cref="TakeLocked"/>.</summary>
        public void Succeed(CancellationTokenRegistration registration)
        {
            registration.Unregister();
            _core.SetResult(true);
        }

        public void Fail(Exception error)
        {
            if (Take() is { } registration)
            {
                registration.Unregister();
                _core.SetException(error);
            }
        }

        /// <summary>Ends the pending wait, if any, and hands over its cancellation registration.</summary>
        private CancellationTokenRegistration? Take()
        {
            lock (owner._lock)
            {
                return TakeLocked();
            }
        }

        /// <summary><see cref="Take"/> for a caller that holds the owner's lock already.</summary>
        public CancellationTokenRegistration? TakeLocked()
        {
            if (!Waiting)
            {
                return null;
            }

            Waiting = false;
            var registration = _registration;
            _registration = default;
            return registration;
        }

        private void Cancelled()
        {
            if (Take() is null)
            {
                return;
            }

            // The canceller is a timer or another connection's thread: the waiter resumes on its socket's loop.
            var cancel = _cancel;
            owner.Loop.Post(static state =>
            {
                var (readiness, token) = ((Readiness, CancellationToken))state!;
                readiness._core.SetException(new OperationCanceledException(token));
            }, (this, cancel));
        }

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
