using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Sluice.Transport;

namespace Sluice.Tests.Transport;

/// <summary>
/// The event loop's socket against a real loopback peer: reads wait for the loop's event once the socket is
/// drained and wake on data, on the peer's close and on cancellation; writes wait while the peer does not read;
/// the idle check sees the peer's bytes and close without a read of ours.
/// </summary>
public sealed class LoopSocketTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public LoopSocketTests()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task A_drained_socket_waits_for_the_next_bytes_without_asking_the_kernel()
    {
        var (socket, peer) = await ConnectAsync();
        using var _ = peer;
        var buffer = new byte[64];

        await peer.SendAsync("hello"u8.ToArray());
        Assert.Equal(5, await socket.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Patience));

        // The short read drained the socket: the next read is known to have nothing, before any system call.
        Assert.Equal(-LinuxSockets.EAGAIN, socket.TryReceive(buffer));

        var pending = socket.ReceiveAsync(buffer, CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(pending.IsCompleted);
        await peer.SendAsync("world!"u8.ToArray());
        Assert.Equal(6, await pending.WaitAsync(Patience));
        Assert.Equal("world!", System.Text.Encoding.ASCII.GetString(buffer, 0, 6));
        socket.Close();
    }

    [Fact]
    public async Task A_full_read_leaves_the_socket_ready_and_the_rest_is_read_without_waiting()
    {
        var (socket, peer) = await ConnectAsync();
        using var _ = peer;
        await peer.SendAsync(new byte[100]);
        var buffer = new byte[60];
        await WaitUntilAsync(() => socket.TryReceive(buffer) == 60);
        Assert.Equal(40, socket.TryReceive(buffer));
        socket.Close();
    }

    [Fact]
    public async Task The_peers_close_wakes_a_waiting_read_with_the_end_of_the_stream_and_ends_idleness()
    {
        var (socket, peer) = await ConnectAsync();
        var buffer = new byte[16];
        Assert.True(socket.IsIdleAndOpen(askKernel: false));
        var pending = socket.ReceiveAsync(buffer, CancellationToken.None).AsTask();
        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await pending.WaitAsync(Patience));
        Assert.False(socket.IsIdleAndOpen(askKernel: false));
        peer.Dispose();
        socket.Close();
    }

    [Fact]
    public async Task Bytes_from_an_idle_peer_end_idleness()
    {
        var (socket, peer) = await ConnectAsync();
        using var _ = peer;
        Assert.True(socket.IsIdleAndOpen(askKernel: false));
        await peer.SendAsync("x"u8.ToArray());
        await WaitUntilAsync(() => !socket.IsIdleAndOpen(askKernel: false));
        socket.Close();
    }

    [Fact]
    public async Task Asked_to_the_kernel_the_idle_check_sees_a_close_the_loop_may_not_have_seen_yet()
    {
        var (socket, peer) = await ConnectAsync();
        peer.Dispose();
        Assert.False(socket.IsIdleAndOpen(askKernel: true));
        socket.Close();
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_the_socket_reads_on_afterwards()
    {
        var (socket, peer) = await ConnectAsync();
        using var _ = peer;
        var buffer = new byte[16];
        using var cancel = new CancellationTokenSource();
        var pending = socket.ReceiveAsync(buffer, cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Patience));

        await peer.SendAsync("after"u8.ToArray());
        Assert.Equal(5, await socket.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Patience));
        socket.Close();
    }

    [Fact]
    public async Task Closing_fails_a_waiting_read()
    {
        var (socket, peer) = await ConnectAsync();
        using var _ = peer;
        var pending = socket.ReceiveAsync(new byte[16], CancellationToken.None).AsTask();
        socket.Close();
        var error = await Assert.ThrowsAsync<SocketException>(() => pending.WaitAsync(Patience));
        Assert.Equal(SocketError.OperationAborted, error.SocketErrorCode);
    }

    [Fact]
    public async Task A_send_larger_than_the_socket_buffers_waits_for_the_peer_to_read_and_delivers_every_byte_in_order()
    {
        var (socket, peer) = await ConnectAsync();
        using var _ = peer;
        var data = new byte[8 * 1024 * 1024];
        new Random(7).NextBytes(data);

        var sending = socket.SendAsync(data, CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(sending.IsCompleted);

        var received = new byte[data.Length];
        var total = 0;
        while (total < received.Length)
        {
            total += await peer.ReceiveAsync(received.AsMemory(total));
        }

        await sending.WaitAsync(Patience);
        Assert.Equal(data, received);
        socket.Close();
    }

    [Fact]
    public async Task A_sequence_of_many_segments_is_sent_whole()
    {
        var (socket, peer) = await ConnectAsync();
        using var _ = peer;
        var segments = Enumerable.Range(0, 70).Select(i => Enumerable.Repeat((byte)i, 1000 + i).ToArray()).ToArray();
        var expected = segments.SelectMany(s => s).ToArray();

        await socket.SendAsync(Chain(segments), CancellationToken.None).AsTask().WaitAsync(Patience);

        var received = new byte[expected.Length];
        var total = 0;
        while (total < received.Length)
        {
            total += await peer.ReceiveAsync(received.AsMemory(total));
        }

        Assert.Equal(expected, received);
        socket.Close();
    }

    [Fact]
    public async Task Connecting_to_a_closed_port_fails_like_nginx_reports_it()
    {
        var closedPort = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _listener.Dispose();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
        var loop = new LoopSocket(socket, EpollLoops.Current, readReady: false, registered: false);
        var error = await Assert.ThrowsAsync<SocketException>(() => loop.ConnectAsync(new IPEndPoint(IPAddress.Loopback, closedPort), CancellationToken.None).AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        Assert.Equal(111, error.NativeErrorCode);
        loop.Close();
    }

    private async Task<(LoopSocket Socket, Socket Peer)> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
        var loop = new LoopSocket(socket, EpollLoops.Current, readReady: false, registered: false);
        var accepting = _listener.AcceptAsync();
        await loop.ConnectAsync(_listener.LocalEndPoint!, CancellationToken.None).AsTask().WaitAsync(Patience);
        return (loop, await accepting.WaitAsync(Patience));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not met in time");
            await Task.Delay(10);
        }
    }

    private static ReadOnlySequence<byte> Chain(byte[][] arrays)
    {
        var first = new Segment(arrays[0], 0);
        var last = first;
        foreach (var array in arrays.Skip(1))
        {
            last = last.Append(array);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
