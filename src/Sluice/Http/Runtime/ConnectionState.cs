using System.Net;

namespace Sluice.Http.Runtime;

/// <summary>
/// What Sluice knows about one client connection: nginx's connection serial number (<c>$connection</c>),
/// its request count (<c>$connection_requests</c>, keepalive_requests), the addresses, and whether it
/// is reading its first request (stub_status "Reading").
/// </summary>
public sealed class ConnectionState
{
    public ConnectionState(long serial, EndPoint? local, EndPoint? remote)
    {
        Serial = serial;
        Local = local as IPEndPoint;
        Remote = remote as IPEndPoint;
    }

    public long Serial { get; }

    public IPEndPoint? Local { get; }

    public IPEndPoint? Remote { get; }

    /// <summary>Requests started on this connection so far (a connection's requests run one after another).</summary>
    public int Requests { get; internal set; }

    /// <summary>1 while a request's header is arriving (stub_status "Reading"); a field for Interlocked.</summary>
    internal int Reading;

    /// <summary>1 while a request is being answered on this connection.</summary>
    internal int Busy;

    /// <summary>When the header being read must be complete (<see cref="ClientHeaderTimeouts.Now"/>); long.MaxValue when none is being read.</summary>
    internal long HeaderDeadline = long.MaxValue;

    /// <summary>client_header_timeout in milliseconds, for the requests after the first.</summary>
    internal long HeaderTimeoutMs;

    /// <summary>The Kestrel connection, for closing it on a header timeout.</summary>
    internal Microsoft.AspNetCore.Connections.ConnectionContext? Context;

    /// <summary>The listening socket's key (which generation's socket runtime served this connection).</summary>
    internal string? SocketKey;

    /// <summary>The connection's input as Kestrel reads it: a header timeout cancels its pending read to see what arrived.</summary>
    internal System.IO.Pipelines.PipeReader? Input;

    /// <summary>1 once client_header_timeout fired and the read was cancelled, 2 once it was reported.</summary>
    internal int HeaderTimedOut;

    /// <summary>Reports a header timeout with the bytes of the head that arrived (set by <see cref="ClientHeaderTimeouts"/>).</summary>
    internal Action<ConnectionState, byte[]>? OnHeaderTimedOut;
}
