using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Configuration;
using Sluice.Configuration.Syntax;
using Sluice.Hosting;

namespace Sluice.Http.Runtime;

/// <summary>
/// The open listening sockets, one Kestrel server each, kept across reloads: a reload opens the sockets
/// the new configuration adds (failing as a whole if one cannot be bound, so the old configuration keeps
/// serving), and closes the ones it drops only after the new generation is live.
/// </summary>
public sealed class HttpListeners : IAsyncDisposable
{
    private readonly IRuntimeSource _source;
    private readonly ServerCounters _counters;
    private readonly Dictionary<string, KestrelServer> _servers = new(StringComparer.Ordinal);
    private readonly IServiceProvider _services = new ServiceCollection().AddLogging().BuildServiceProvider();
    private readonly ClientHeaderTimeouts _headerTimeouts;

    public HttpListeners(IRuntimeSource source, ServerCounters counters)
    {
        _source = source;
        _counters = counters;
        _headerTimeouts = new ClientHeaderTimeouts(TimeProvider.System, source);
    }

    public IReadOnlyCollection<string> Keys => _servers.Keys;

    /// <summary>Opens every socket of <paramref name="runtime"/> not open yet. On failure closes what it opened and throws nginx's bind error.</summary>
    public async Task OpenAsync(HttpRuntime runtime, CancellationToken cancellationToken)
    {
        var opened = new List<string>();
        try
        {
            foreach (var socket in runtime.Sockets)
            {
                if (_servers.ContainsKey(socket.Key))
                {
                    continue;
                }

                var server = CreateServer(socket, runtime);
                try
                {
                    await server.StartAsync(new SluiceApplication(socket.Key, _source), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (BindErrno(e) is { } errno)
                {
                    server.Dispose();
                    throw new ConfigException($"bind() to {socket.Options.AddressText} failed ({errno}: {UnixProcess.StrError(errno)})", (SourceLocation?)null);
                }

                _servers[socket.Key] = server;
                opened.Add(socket.Key);
            }
        }
        catch
        {
            await StopAsync(Detach(opened.Contains), TimeSpan.Zero).ConfigureAwait(false);

            throw;
        }
    }

    /// <summary>Closes the sockets <paramref name="runtime"/> no longer has, letting their requests finish.</summary>
    public Task CloseUnusedAsync(HttpRuntime? runtime, TimeSpan drain)
    {
        var keep = runtime?.Sockets.Select(s => s.Key).ToHashSet(StringComparer.Ordinal) ?? [];
        return StopAsync(Detach(k => !keep.Contains(k)), drain);
    }

    /// <summary>Stops accepting everywhere; in-flight requests get <paramref name="drain"/> to finish.</summary>
    public Task CloseAllAsync(TimeSpan drain) => StopAsync(Detach(_ => true), drain);

    public async ValueTask DisposeAsync()
    {
        await CloseAllAsync(TimeSpan.Zero).ConfigureAwait(false);
        _headerTimeouts.Dispose();
    }

    /// <summary>Takes servers out of the table at once (so a following reload sees a consistent table) for stopping.</summary>
    private List<KestrelServer> Detach(Func<string, bool> which)
    {
        var detached = new List<KestrelServer>();
        foreach (var key in _servers.Keys.Where(which).ToList())
        {
            _servers.Remove(key, out var server);
            detached.Add(server!);
        }

        return detached;
    }

    private static async Task StopAsync(List<KestrelServer> servers, TimeSpan drain)
    {
        using var cts = new CancellationTokenSource(drain);
        await Task.WhenAll(servers.Select(async server =>
        {
            try
            {
                await server.StopAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            server.Dispose();
        })).ConfigureAwait(false);
    }

    /// <summary>
    /// The listening socket as nginx makes it: SO_REUSEADDR, IPv6 sockets IPv6-only unless <c>ipv6only=off</c>
    /// (so <c>listen 80</c> and <c>listen [::]:80</c> coexist), and the listen options (reuseport, buffers).
    /// </summary>
    private static Socket CreateListenSocket(EndPoint endPoint, Configuration.ListenOptions options)
    {
        if (endPoint is UnixDomainSocketEndPoint)
        {
            var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            unix.Bind(endPoint);
            return unix;
        }

        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = options.Ipv6Only == false;
            }

            if (options.ReusePort)
            {
                // SO_REUSEPORT (15 on Linux): several sockets on one port, the kernel spreads connections.
                socket.SetRawSocketOption(1, 15, BitConverter.GetBytes(1));
            }

            if (options.ReceiveBuffer is { } receive)
            {
                socket.ReceiveBufferSize = (int)receive;
            }

            if (options.SendBuffer is { } send)
            {
                socket.SendBufferSize = (int)send;
            }

            socket.Bind(endPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The errno of a failed bind, found in Kestrel's exception chain; null when the failure is something else.</summary>
    private static int? BindErrno(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case SocketException socket:
                    return socket.NativeErrorCode;
                case AddressInUseException:
                    return 98;
            }
        }

        return null;
    }

    private KestrelServer CreateServer(SocketRuntime socket, HttpRuntime runtime)
    {
        var core = socket.Own.Servers.DefaultServer.ServerLocation.Core;
        var options = new KestrelServerOptions
        {
            AddServerHeader = false,
            AllowSynchronousIO = false,

            // nginx takes the host of an absolute-form request line over the Host header.
            AllowHostHeaderOverride = true,
            ApplicationServices = _services,
        };

        // Kestrel's limits are per socket; nginx's are per server, so the address's default server decides.
        options.Limits.KeepAliveTimeout = core.KeepaliveTimeout > TimeSpan.Zero ? core.KeepaliveTimeout : TimeSpan.FromMilliseconds(1);
        options.Limits.MaxRequestBodySize = null;
        options.Limits.MinRequestBodyDataRate = null;
        options.Limits.MinResponseDataRate = null;
        options.Limits.MaxConcurrentConnections = null;
        options.Limits.MaxConcurrentUpgradedConnections = null;

        // nginx's header limits and timeout are enforced by Sluice (with nginx's answers: a 414 or 494 page, or a
        // silent close); Kestrel's own stay only as a backstop well above them.
        var buffers = core.LargeHeaderBuffers;
        options.Limits.RequestHeadersTimeout = TimeSpan.FromDays(1);
        options.Limits.MaxRequestLineSize = (int)Math.Min(int.MaxValue / 4, Math.Max(64 * 1024, buffers.Size * 2));
        options.Limits.MaxRequestHeadersTotalSize = (int)Math.Min(int.MaxValue / 4, Math.Max(64 * 1024, buffers.Size * buffers.Count * 2));
        options.Limits.MaxRequestHeaderCount = 10_000;
        var endPoint = socket.EndPoint;
        if (endPoint is UnixDomainSocketEndPoint unix && File.Exists(unix.ToString()))
        {
            File.Delete(unix.ToString()!);
        }

        options.Listen(endPoint, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.Use(next => async connection =>
            {
                var state = new ConnectionState(_counters.ConnectionOpened(), connection.LocalEndPoint, connection.RemoteEndPoint);
                connection.Items[typeof(ConnectionState)] = state;
                ReadingObserver.Attach(connection, state, _counters);
                _headerTimeouts.Opened(state, connection, socket.Key, core.ClientHeaderTimeout);
                try
                {
                    await next(connection).ConfigureAwait(false);
                }
                finally
                {
                    _headerTimeouts.Closed(state);
                    _counters.ConnectionClosed(state);
                }
            });
        });

        var listen = socket.Options;
        var transportOptions = new SocketTransportOptions
        {
            Backlog = listen.Backlog,
            NoDelay = core.TcpNodelay,

            // Sluice's request path never blocks: running it on the socket's own thread saves a thread-pool hop
            // (two futex calls and a context switch) per read, as nginx's event loop does.
            UnsafePreferInlineScheduling = true,

            // A read straight into a buffer instead of a zero-byte read first: one recv(2) per request instead
            // of two, for a buffer held while a connection waits (what nginx does too).
            WaitForDataBeforeAllocatingBuffer = false,
            CreateBoundListenSocket = endPoint => CreateListenSocket(endPoint, listen),
        };
        var sockets = new SocketTransportFactory(Options.Create(transportOptions), NullLoggerFactory.Instance);

        // TCP connections run on Sluice's own event loops (Transport/), with their upstream connections.
        var transport = new Transport.LoopTransportFactory(endPoint => CreateListenSocket(endPoint, listen), listen.Backlog, core.TcpNodelay, sockets);
        return new KestrelServer(Options.Create(options), transport, NullLoggerFactory.Instance);
    }
}
