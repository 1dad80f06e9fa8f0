using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Sluice.Transport;

/// <summary>
/// A client connection as Kestrel sees it, served by an <see cref="EpollLoop"/>: bytes read go into the input
/// pipe, bytes Kestrel writes to the output pipe are sent, both on the loop's thread (the pipes schedule inline).
/// Shaped after Kestrel's own socket connection: a FIN ends the input, the end of the output shuts the socket
/// down, and the connection-closed token fires when the input ends (so a request whose client went away is
/// aborted, nginx's 499).
/// </summary>
internal sealed class LoopConnection : ConnectionContext,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IMemoryPoolFeature,
    IConnectionLifetimeFeature, IConnectionEndPointFeature, IConnectionSocketFeature
{
    private const int MinimumReadBuffer = PinnedBlockPool.BlockSize / 2;
    private const long MaxReadBuffer = 1024 * 1024;
    private const long MaxWriteBuffer = 64 * 1024;
    private static long s_lastId;

    private readonly LoopSocket _socket;
    private readonly DuplexPipe _application;
    private readonly CancellationTokenSource _closed = new();
    private readonly Lock _shutdownLock = new();
    private IDictionary<object, object?>? _items;
    private string? _id;
    private Task? _processing;
    private bool _shutDown;
    private Exception? _shutdownReason;
    private int _closedFired;

    public LoopConnection(LoopSocket socket, EndPoint? local, EndPoint? remote)
    {
        _socket = socket;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        ConnectionClosed = _closed.Token;

        var input = new Pipe(new PipeOptions(PinnedBlockPool.Instance, PipeScheduler.Inline, PipeScheduler.Inline, MaxReadBuffer, MaxReadBuffer / 2, useSynchronizationContext: false));
        var output = new Pipe(new PipeOptions(PinnedBlockPool.Instance, PipeScheduler.Inline, PipeScheduler.Inline, MaxWriteBuffer, MaxWriteBuffer / 2, useSynchronizationContext: false));
        Transport = new DuplexPipe(input.Reader, output.Writer);
        _application = new DuplexPipe(output.Reader, input.Writer);

        var features = new FeatureCollection();
        features.Set<IConnectionIdFeature>(this);
        features.Set<IConnectionTransportFeature>(this);
        features.Set<IConnectionItemsFeature>(this);
        features.Set<IMemoryPoolFeature>(this);
        features.Set<IConnectionLifetimeFeature>(this);
        features.Set<IConnectionEndPointFeature>(this);
        features.Set<IConnectionSocketFeature>(this);
        Features = features;
    }

    public override string ConnectionId
    {
        get => _id ??= Interlocked.Increment(ref s_lastId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        set => _id = value;
    }

    public override IFeatureCollection Features { get; }

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public MemoryPool<byte> MemoryPool => PinnedBlockPool.Instance;

    public Socket Socket => _socket.Socket;

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public void Start() => _processing = Task.WhenAll(ReceiveAsync(), SendAsync());

    public override void Abort(ConnectionAbortedException abortReason)
    {
        Shutdown(abortReason);
        _application.Input.CancelPendingRead();
    }

    public override async ValueTask DisposeAsync()
    {
        Transport.Input.Complete();
        Transport.Output.Complete();
        if (_processing is { } processing)
        {
            await processing.ConfigureAwait(false);
        }

        _closed.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ReceiveAsync()
    {
        var input = _application.Output;
        Exception? error = null;
        try
        {
            while (true)
            {
                // Wait before taking a buffer: an idle connection (a keep-alive client between requests, an SSE
                // client) holds none. Whether input may be there is the loop's flag, so this costs no system call.
                await _socket.WaitReadableAsync(CancellationToken.None).ConfigureAwait(false);
                var buffer = input.GetMemory(MinimumReadBuffer);
                var read = _socket.TryReceive(buffer.Span);
                if (read == -LinuxSockets.EAGAIN)
                {
                    continue;
                }

                if (read < 0)
                {
                    throw LinuxSockets.Error(-read);
                }

                if (read == 0)
                {
                    break;
                }

                input.Advance(read);
                var flushed = await input.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
            error = new ConnectionResetException(e.Message, e);
        }
        catch (Exception e)
        {
            error = e;
        }
        finally
        {
            // After our own shutdown the read failed because of it: that reason is the one to report.
            await input.CompleteAsync(_shutdownReason ?? error).ConfigureAwait(false);
            FireConnectionClosed();
        }
    }

    private async Task SendAsync()
    {
        var output = _application.Input;
        Exception? reason = null;
        Exception? unexpected = null;
        try
        {
            while (true)
            {
                var result = await output.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break;
                }

                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await _socket.SendAsync(buffer, CancellationToken.None).ConfigureAwait(false);
                }

                output.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
            reason = new ConnectionResetException(e.Message, e);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted)
        {
            reason = e;
        }
        catch (Exception e)
        {
            reason = unexpected = e;
        }
        finally
        {
            Shutdown(reason);
            await output.CompleteAsync(unexpected).ConfigureAwait(false);

            // A receive paused on a full input pipe must end too.
            _application.Output.CancelPendingFlush();
        }
    }

    /// <summary>Sends what is queued, then FIN, and closes (Kestrel's socket transport does the same, also on abort).</summary>
    private void Shutdown(Exception? reason)
    {
        lock (_shutdownLock)
        {
            if (_shutDown)
            {
                return;
            }

            _shutDown = true;
            _shutdownReason = reason ?? new ConnectionAbortedException("The connection's output was completed.");
        }

        try
        {
            _socket.Socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        _socket.Close();
    }

    /// <summary>Fires the connection-closed token once, on the loop after its current round (its callbacks abort requests).</summary>
    private void FireConnectionClosed()
    {
        if (Interlocked.Exchange(ref _closedFired, 1) != 0)
        {
            return;
        }

        _socket.Loop.Post(static state =>
        {
            try
            {
                ((CancellationTokenSource)state!).Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }, _closed);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
