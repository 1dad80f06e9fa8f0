using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Core;
using Sluice.Http.Routing;

namespace Sluice.Http.Runtime;

/// <summary>
/// nginx's client_header_timeout, kept by Sluice rather than Kestrel (whose own timeout answers 408, where
/// nginx closes the connection without a word): a new connection must send its first request's header
/// within the timeout, and a kept-alive one must finish a header within it once its first bytes came. One
/// timer checks the connections that are reading a header. An overdue one has its pending read cancelled, which
/// shows what arrived of the head; then it is logged as nginx logs it — "client timed out (110: Connection timed
/// out) while reading client request headers, client: …, server: …, request: "…", host: "…"" and a 408 access
/// log line for the request so far (none for a connection that sent nothing: "while waiting for request") —
/// and closed.
/// </summary>
internal sealed class ClientHeaderTimeouts : IDisposable
{
    private static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a cancelled read may take to show the head before the connection is closed regardless.</summary>
    private const long ReportGraceMs = 1000;

    private readonly HashSet<ConnectionState> _connections = [];
    private readonly ITimer _timer;
    private readonly IRuntimeSource _source;
    private readonly Action<ConnectionState, byte[]> _report;

    public ClientHeaderTimeouts(TimeProvider time, IRuntimeSource source)
    {
        _source = source;
        _report = Report;
        _timer = time.CreateTimer(static s => ((ClientHeaderTimeouts)s!).Sweep(), this, Resolution, Resolution);
    }

    public static long Now => Environment.TickCount64;

    /// <summary>A connection opened on the socket <paramref name="socketKey"/>: its first header is due within <paramref name="timeout"/>.</summary>
    public void Opened(ConnectionState connection, ConnectionContext context, string socketKey, TimeSpan timeout)
    {
        connection.Context = context;
        connection.SocketKey = socketKey;
        connection.OnHeaderTimedOut = _report;
        connection.HeaderTimeoutMs = (long)Math.Min(timeout.TotalMilliseconds, long.MaxValue / 4);
        Volatile.Write(ref connection.HeaderDeadline, Now + connection.HeaderTimeoutMs);
        lock (_connections)
        {
            _connections.Add(connection);
        }
    }

    public void Closed(ConnectionState connection)
    {
        lock (_connections)
        {
            _connections.Remove(connection);
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Sweep()
    {
        var now = Now;
        List<ConnectionState>? overdue = null;
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                if (Volatile.Read(ref connection.HeaderDeadline) <= now)
                {
                    (overdue ??= []).Add(connection);
                }
            }
        }

        if (overdue is null)
        {
            return;
        }

        foreach (var connection in overdue)
        {
            if (Interlocked.CompareExchange(ref connection.HeaderTimedOut, 1, 0) == 0)
            {
                // The cancelled read completes with what arrived, and the reader reports it (Report).
                Volatile.Write(ref connection.HeaderDeadline, now + ReportGraceMs);
                connection.Input?.CancelPendingRead();
            }
            else if (Interlocked.CompareExchange(ref connection.HeaderTimedOut, 2, 1) == 1)
            {
                // No read showed the head: closed all the same.
                Volatile.Write(ref connection.HeaderDeadline, long.MaxValue);
                Report(connection, []);
            }
            else
            {
                Volatile.Write(ref connection.HeaderDeadline, long.MaxValue);
            }
        }
    }

    /// <summary>Logs the timeout as nginx does (error line, and a 408 access log line when a request had begun), then closes the connection.</summary>
    private void Report(ConnectionState connection, byte[] received)
    {
        Volatile.Write(ref connection.HeaderDeadline, long.MaxValue);
        try
        {
            if (_source.Current is { } runtime)
            {
                Log(runtime, connection, IncompleteRequestHead.Parse(received));
            }
        }
        finally
        {
            Close(connection);
        }
    }

    /// <summary>
    /// Closes as nginx closes a timed-out connection: a FIN (the client reads the end of the stream), where
    /// Kestrel's abort alone may reset the connection.
    /// </summary>
    private static void Close(ConnectionState connection)
    {
        if (connection.Context is not { } context)
        {
            return;
        }

        try
        {
            context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionSocketFeature>()?.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
        }

        context.Abort(new ConnectionAbortedException("client_header_timeout"));
    }

    private static void Log(HttpRuntime runtime, ConnectionState connection, IncompleteRequestHead? head)
    {
        const string TimedOut = "client timed out (110: Connection timed out) while";
        var client = Variables.CoreVariables.AddressText(connection.Remote?.Address);
        var address = connection.SocketKey is { } key ? runtime.Socket(key)?.For(connection.Local?.Address) : null;
        if (head is null || address is null)
        {
            runtime.ErrorLog.Write(LogLevel.Info, $"{TimedOut} waiting for request, client: {client}, server: {address?.AddressText}");
            return;
        }

        var host = head.Host is { } header ? HostHeader.ValidateHost(header) : null;
        var server = address.Servers.Find(host ?? "", out _, out _);
        var request = Request(runtime, connection, head);
        request.Address = address;
        request.Server = server;
        request.Location = server.ServerLocation;
        request.HostHeader = host;
        request.Status = 408;
        var (_, target, _) = head.RequestLineParts;
        if (target is not null && NginxUri.TryParse(target, server.ServerLocation.Core.MergeSlashes, out var uri))
        {
            request.Uri = uri.Path;
            request.Args = uri.Args;
        }
        else
        {
            request.Uri = "";
        }

        var context = head.LineComplete && head.Host is { } hostText ? $", request: \"{head.Line}\", host: \"{hostText}\"" : $", request: \"{head.Line}\"";
        request.ErrorLog.Write(LogLevel.Info, $"{TimedOut} reading client request {(head.LineComplete ? "headers" : "line")}, client: {client}, server: {server.PrimaryName}{context}");
        runtime.RequestCompleted?.Invoke(request);
    }

    /// <summary>The request as far as it came, for the log phase: its line and complete header lines, answered 408 with nothing sent.</summary>
    private static RequestContext Request(HttpRuntime runtime, ConnectionState connection, IncompleteRequestHead head)
    {
        var (method, target, protocol) = head.RequestLineParts;
        var headers = new HeaderDictionary();
        foreach (var (name, value) in head.Headers)
        {
            headers.Append(name, value);
        }

        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Method = method ?? "",
            Protocol = protocol ?? "",
            RawTarget = target ?? "",
            Path = target ?? "",
            Headers = headers,
        });
        features.Set<IHttpResponseFeature>(new HttpResponseFeature { StatusCode = 408 });
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
        {
            RemoteIpAddress = connection.Remote?.Address,
            RemotePort = connection.Remote?.Port ?? 0,
            LocalIpAddress = connection.Local?.Address,
            LocalPort = connection.Local?.Port ?? 0,
        });
        var request = new RequestContext();
        request.Start(new DefaultHttpContext(features), runtime, connection, target ?? "");
        request.IncompleteRequestLine = head.LineComplete ? null : head.Line;
        return request;
    }
}
