using System.Net;
using System.Net.Sockets;
using Sluice.Upstreams.Balancing;
using Sluice.Upstreams.Configuration;

namespace Sluice.Upstreams.Runtime;

/// <summary>
/// An upstream group at runtime: its balancer and the HTTP connection pool to its peers (idle connections
/// kept per <c>keepalive</c>, closed after <c>keepalive_timeout</c> idle or <c>keepalive_time</c> of age).
/// </summary>
public sealed class UpstreamRuntime : IDisposable
{
    /// <summary>Per request: how long connecting may take (<c>proxy_connect_timeout</c> of the location).</summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> ConnectTimeout = new("sluice.connect-timeout");

    /// <summary>Per request: receives how long the connect took (only new connections; a reused one takes no time).</summary>
    public static readonly HttpRequestOptionsKey<ConnectTiming> ConnectTimingKey = new("sluice.connect-timing");

    private readonly SocketsHttpHandler _handler;

    public UpstreamRuntime(UpstreamGroup group, IUpstreamBalancer balancer)
    {
        Group = group;
        Balancer = balancer;
        var keepalive = group.Keepalive;
        _handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            ActivityHeadersPropagator = null,
            PooledConnectionIdleTimeout = keepalive?.Timeout ?? TimeSpan.FromSeconds(60),
            PooledConnectionLifetime = keepalive?.Time ?? Timeout.InfiniteTimeSpan,
            ConnectCallback = ConnectAsync,
            Expect100ContinueTimeout = TimeSpan.Zero,
        };
        Invoker = new HttpMessageInvoker(_handler, disposeHandler: true);
    }

    public UpstreamGroup Group { get; }

    public string Name => Group.Name;

    public IUpstreamBalancer Balancer { get; }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose() => Invoker.Dispose();

    /// <summary>Opens a connection to the peer the request names, within the location's connect timeout, timing it for <c>$upstream_connect_time</c>.</summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var options = context.InitialRequestMessage.Options;
        var timeout = options.TryGetValue(ConnectTimeout, out var t) ? t : TimeSpan.FromSeconds(60);
        options.TryGetValue(ConnectTimingKey, out var timing);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var endPoint = context.DnsEndPoint;
        EndPoint target = IPAddress.TryParse(endPoint.Host.Trim('[', ']'), out var ip) ? new IPEndPoint(ip, endPoint.Port) : endPoint;
        var socket = new Socket(target.AddressFamily == AddressFamily.Unspecified ? AddressFamily.InterNetwork : target.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
        };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(target, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new UpstreamConnectTimeoutException();
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        timing?.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return new NetworkStream(socket, ownsSocket: true);
    }
}

/// <summary>Where the connect callback reports its duration for the attempt that asked.</summary>
public sealed class ConnectTiming
{
    public TimeSpan? Elapsed { get; private set; }

    public void Record(TimeSpan elapsed) => Elapsed = elapsed;
}

/// <summary>Connecting to a peer took longer than <c>proxy_connect_timeout</c> (nginx's "upstream timed out … while connecting").</summary>
public sealed class UpstreamConnectTimeoutException : IOException
{
    public UpstreamConnectTimeoutException()
        : base("upstream timed out (110: Connection timed out) while connecting to upstream")
    {
    }

    public UpstreamConnectTimeoutException(string message)
        : base(message)
    {
    }

    public UpstreamConnectTimeoutException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
