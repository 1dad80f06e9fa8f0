using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sluice.Transport;

namespace Sluice.Upstreams.Http1;

/// <summary>
/// One TCP connection to an upstream peer: the socket, a buffer for the response head (nginx's
/// <c>proxy_buffer_size</c>) that also holds the body bytes read along with it, and what the keepalive
/// cache needs to know (requests served, age, idle time). Socket operations take a timeout each (nginx's
/// per-operation connect, send and read timers, kept by <see cref="ConnectionDeadlines"/>); a timeout or the
/// client going away cancels them, after which the connection is closed, never reused.
/// </summary>
public sealed class UpstreamConnection : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private long _deadline = long.MaxValue;
    private bool _disposed;

    private UpstreamConnection(Socket socket, EndPoint peer, int bufferSize)
    {
        Socket = socket;
        Io = new LoopSocket(socket, EpollLoops.Current, readReady: false, registered: false);
        HomeLoop = Io.Loop.Number;
        Peer = peer;
        BufferSize = bufferSize;
        CreatedAt = Stopwatch.GetTimestamp();
        CacheNode = new LinkedListNode<UpstreamConnection>(this);
        ConnectionDeadlines.Add(this);
    }

    /// <summary>When the pending operation times out (<see cref="ConnectionDeadlines.Now"/>); long.MaxValue when none is pending.</summary>
    internal long Deadline => Volatile.Read(ref _deadline);

    /// <summary>This connection's slot in <see cref="ConnectionDeadlines"/>.</summary>
    internal int DeadlineIndex { get; set; } = -1;

    /// <summary>This connection's place in the keepalive cache's list, made once so caching it allocates nothing.</summary>
    internal LinkedListNode<UpstreamConnection> CacheNode { get; }

    public Socket Socket { get; }

    /// <summary>The socket's reads and writes, on the event loop of the thread that opened the connection.</summary>
    internal LoopSocket Io { get; }

    /// <summary>The peer's address: connections are cached and found again by it.</summary>
    public EndPoint Peer { get; }

    /// <summary>
    /// The response head buffer (proxy_buffer_size), rented while a head is read and the bytes that came
    /// with it are consumed: a connection that waits — idle in the keepalive cache, or for a stream's next
    /// event — holds none. Bytes <see cref="Start"/>..<see cref="End"/> are read but not consumed.
    /// </summary>
    public byte[] Buffer => _buffer ??= System.Buffers.ArrayPool<byte>.Shared.Rent(BufferSize);

    /// <summary>How large a response head may be (nginx's proxy_buffer_size: "upstream sent too big header").</summary>
    public int BufferSize { get; }

    private byte[]? _buffer;

    /// <summary>Gives the head buffer back once nothing in it is left to consume.</summary>
    public void ReleaseBuffer()
    {
        if (_buffer is { } buffer && Start == End)
        {
            _buffer = null;
            Start = End = 0;
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public int Start { get; set; }

    public int End { get; set; }

    /// <summary>Requests sent on this connection (for keepalive_requests).</summary>
    public long Requests { get; set; }

    public long CreatedAt { get; }

    /// <summary>When the connection went back to the keepalive cache.</summary>
    public long IdleSince { get; set; }

    /// <summary>True while the current request reuses a connection from the keepalive cache.</summary>
    public bool Reused { get; set; }

    /// <summary>Why pending operations were cancelled: a timeout of ours, or the client going away.</summary>
    public CancelReason Cancelled { get; private set; }

    /// <summary>Connects within <paramref name="timeout"/>; throws <see cref="SocketException"/> or <see cref="TimeoutException"/>.</summary>
    public static async ValueTask<UpstreamConnection> ConnectAsync(EndPoint peer, int bufferSize, TimeSpan timeout, CancellationToken aborted)
    {
        var socket = new Socket(peer is UnixDomainSocketEndPoint ? AddressFamily.Unix : peer.AddressFamily, SocketType.Stream, peer is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        if (peer is not UnixDomainSocketEndPoint)
        {
            socket.NoDelay = true;
        }

        if (peer.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // nginx's IPv6 sockets take the system's default (not v6-only on Linux), so an IPv4-mapped address
            // such as [::ffff:127.0.0.1] reaches the IPv4 peer; .NET makes them v6-only unless told.
            socket.DualMode = true;
        }

        socket.Blocking = false;

        var connection = new UpstreamConnection(socket, peer, bufferSize);
        using var registration = aborted.UnsafeRegister(static s => ((UpstreamConnection)s!).Cancel(CancelReason.Client), connection);
        try
        {
            connection.Arm(timeout);
            await connection.Io.ConnectAsync(peer, connection._cancel.Token).ConfigureAwait(false);
            connection.StopTimer();
            return connection;
        }
        catch (OperationCanceledException)
        {
            var reason = connection.Cancelled == CancelReason.None ? CancelReason.Timeout : connection.Cancelled;
            connection.Dispose();
            throw reason == CancelReason.Client ? new OperationCanceledException(aborted) : new TimeoutException();
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends all of <paramref name="data"/>, each write within <paramref name="timeout"/> (proxy_send_timeout).
    /// The timer runs only while a write waits: time spent afterwards (reading the client's next body bytes)
    /// is not the upstream's.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, TimeSpan timeout)
    {
        try
        {
            while (!data.IsEmpty)
            {
                Arm(timeout);
                var sent = Io.TrySend(data.Span);
                if (sent == -LinuxSockets.EAGAIN)
                {
                    await Io.WaitWritableAsync(_cancel.Token).ConfigureAwait(false);
                    continue;
                }

                if (sent < 0)
                {
                    throw LinuxSockets.Error(-sent);
                }

                data = data[sent..];
            }
        }
        finally
        {
            StopTimer();
        }
    }

    /// <summary>
    /// One read within <paramref name="timeout"/> (proxy_read_timeout is the time between two reads); 0 at end
    /// of stream. The timer stops when the read completes, as nginx deletes its read timer: the time the
    /// bytes then spend waiting for a slow client is not the upstream's.
    /// </summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> destination, TimeSpan timeout)
    {
        Arm(timeout);
        var pending = Io.ReceiveAsync(destination, _cancel.Token);
        if (pending.IsCompleted)
        {
            StopTimer();
            return pending;
        }

        return StopTimerWhenReceivedAsync(pending);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> StopTimerWhenReceivedAsync(ValueTask<int> pending)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        finally
        {
            StopTimer();
        }
    }

    /// <summary>The <see cref="EventLoop"/> this connection's socket events run on: its home, see KeepaliveCache.</summary>
    public int HomeLoop { get; internal set; }

    /// <summary>No timer while the connection waits in the keepalive cache or for the client.</summary>
    public void StopTimer() => Volatile.Write(ref _deadline, long.MaxValue);

    /// <summary>The next operation must complete within <paramref name="timeout"/>.</summary>
    private void Arm(TimeSpan timeout)
    {
        var milliseconds = (long)Math.Min(timeout.TotalMilliseconds, long.MaxValue / 4);
        Volatile.Write(ref _deadline, ConnectionDeadlines.Now + milliseconds);
    }

    /// <summary>
    /// Called by <see cref="ConnectionDeadlines"/> when the pending operation's time is up — unless that
    /// operation finished and another was armed meanwhile (the deadline seen is no longer the deadline).
    /// </summary>
    internal void TimedOut(long deadline)
    {
        if (Interlocked.CompareExchange(ref _deadline, long.MaxValue, deadline) != deadline)
        {
            return;
        }

        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>After an operation was cancelled: by the client, else by one of our timers.</summary>
    public CancelReason Reason => Cancelled == CancelReason.None ? CancelReason.Timeout : Cancelled;

    /// <summary>Cancels pending operations for <paramref name="reason"/> (the first reason given sticks).</summary>
    public void Cancel(CancelReason reason)
    {
        if (Cancelled == CancelReason.None)
        {
            Cancelled = reason;
        }

        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// How long a connection may have been idle before its idle check asks the kernel rather than trusting the
    /// event loop alone. A peer closes an idle connection when its own keepalive timeout ends (a second or more for
    /// every common server): by then the check looks at the socket itself, so the close cannot be missed in the
    /// moment between its arrival and its event reaching the loop. The kernel is asked too when the check runs on
    /// another thread than the connection's loop (whose events may lag behind it); a connection checked on its
    /// own loop and idle for less, the busy case, costs no system call: a close that arrived before the request
    /// did was handled first, in the order the loop's events came.
    /// </summary>
    internal static readonly TimeSpan KernelCheckAfterIdle = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether an idle connection is still usable: the peer has neither closed it nor sent anything
    /// (nginx closes a cached connection on any read event; we look at the loop's readiness flags when taking it).
    /// </summary>
    public bool IsIdleAndOpen()
    {
        return !_cancel.IsCancellationRequested
            && Io.IsIdleAndOpen(askKernel: HomeLoop != EventLoop.Current || Stopwatch.GetElapsedTime(IdleSince) >= KernelCheckAfterIdle);
    }

    /// <summary>Takes a body byte that came with the head, or with an earlier read, out of the buffer.</summary>
    public int TakeBuffered(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, End - Start);
        if (count == 0)
        {
            return 0;
        }

        Buffer.AsSpan(Start, count).CopyTo(destination);
        Start += count;
        return count;
    }

    public int Buffered => End - Start;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Start = End;
        ReleaseBuffer();
        ConnectionDeadlines.Remove(this);
        Io.Close();
        _cancel.Dispose();
    }
}

/// <summary>Why an upstream connection's operations were cancelled.</summary>
public enum CancelReason
{
    None,

    /// <summary>A connect, send or read took longer than its timeout.</summary>
    Timeout,

    /// <summary>The client closed its connection (nginx's 499).</summary>
    Client,
}
