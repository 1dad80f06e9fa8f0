using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace Sluice.Transport;

/// <summary>
/// Kestrel's transport on Sluice's event loops for TCP listeners (a Unix-domain listener keeps Kestrel's socket
/// transport). <paramref name="createListenSocket"/> makes the bound socket with nginx's listen options.
/// </summary>
internal sealed class LoopTransportFactory(Func<EndPoint, Socket> createListenSocket, int backlog, bool noDelay, IConnectionListenerFactory fallback)
    : IConnectionListenerFactory
{
    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint)
        {
            return await fallback.BindAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }

        var socket = createListenSocket(endpoint);
        try
        {
            socket.Listen(backlog);
            socket.Blocking = false;
            return new LoopListener(socket, noDelay);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>
/// A listening socket registered with every loop (EPOLLEXCLUSIVE: one loop is woken per connection, as nginx
/// workers share a listening socket). Accepted connections are dealt to the loops in turn: which loop happened
/// to wake first would leave them unevenly spread (measured 54/46 for 50 connections opened at once), and a
/// keep-alive connection stays on its loop for its whole life, so the busier loop's clients wait longer.
/// </summary>
internal sealed class LoopListener : IConnectionListener
{
    /// <summary>
    /// nginx's default (<c>multi_accept off</c>): one connection per wake-up, so that a loop busy with a burst of
    /// new connections still serves its others in between (another one pending wakes a loop again: the listening
    /// socket is level-triggered).
    /// </summary>
    private const int AcceptsPerEvent = 1;

    private readonly Socket _socket;
    private readonly bool _noDelay;
    private readonly Channel<ConnectionContext> _accepted = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions
    {
        SingleReader = true,

        // Kestrel's accept loop continues on the loop that accepted; it only hands the connection to the thread pool.
        AllowSynchronousContinuations = true,
    });

    private readonly List<(EpollLoop Loop, ulong Token)> _registrations = [];
    private int _unbound;

    public LoopListener(Socket socket, bool noDelay)
    {
        _socket = socket;
        _noDelay = noDelay;
        EndPoint = socket.LocalEndPoint!;
        var fd = (int)socket.SafeHandle.DangerousGetHandle();
        foreach (var loop in EpollLoops.All)
        {
            _registrations.Add((loop, loop.Add(fd, LinuxSockets.EpollIn | LinuxSockets.EpollExclusive, new Acceptor(this))));
        }
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        Unbind();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Unbind();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Unbind()
    {
        if (Interlocked.Exchange(ref _unbound, 1) != 0)
        {
            return;
        }

        var fd = (int)_socket.SafeHandle.DangerousGetHandle();
        foreach (var (loop, token) in _registrations)
        {
            loop.Remove(token, fd);
        }

        _accepted.Writer.TryComplete();
    }

    /// <summary>Accepts what is pending, <see cref="AcceptsPerEvent"/> at a time.</summary>
    private void Accept()
    {
        var added = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref added);
            for (var i = 0; i < AcceptsPerEvent && Volatile.Read(ref _unbound) == 0; i++)
            {
                var fd = LinuxSockets.Accept(_socket.SafeHandle);
                if (fd < 0)
                {
                    // EAGAIN: none left; anything else (a connection reset before it was accepted, EMFILE) is
                    // the next connection's business, as for nginx's accept().
                    return;
                }

                Serve(new Socket(new SafeSocketHandle(fd, ownsHandle: true)), EpollLoops.Next());
            }
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added)
            {
                _socket.SafeHandle.DangerousRelease();
            }
        }
    }

    private void Serve(Socket socket, EpollLoop loop)
    {
        try
        {
            if (_noDelay)
            {
                socket.NoDelay = true;
            }

            var connection = new LoopConnection(new LoopSocket(socket, loop, readReady: true), socket.LocalEndPoint, socket.RemoteEndPoint);
            connection.Start();
            if (!_accepted.Writer.TryWrite(connection))
            {
                connection.Abort(new ConnectionAbortedException("The listener is closed."));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
        }
    }

    private sealed class Acceptor(LoopListener listener) : IEpollHandler
    {
        public void OnEvents(uint events) => listener.Accept();
    }
}
