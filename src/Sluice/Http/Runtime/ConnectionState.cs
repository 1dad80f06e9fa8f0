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
}
