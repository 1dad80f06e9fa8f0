using System.Net;
using System.Net.Sockets;
using Sluice.Configuration.Syntax;

namespace Sluice.Http.Configuration;

/// <summary>Options of one <c>listen</c> directive (nginx's <c>ngx_http_listen_opt_t</c>).</summary>
public sealed record ListenOptions
{
    public required EndPoint EndPoint { get; init; }

    /// <summary>The address as nginx prints it in messages: <c>0.0.0.0:80</c>, <c>[::]:443</c>, <c>unix:/path</c>.</summary>
    public required string AddressText { get; init; }

    public bool Wildcard { get; init; }

    public bool DefaultServer { get; init; }

    /// <summary>Socket options were given (backlog, reuseport, …): only one listen per address may set them.</summary>
    public bool SetsSocketOptions { get; init; }

    public bool Bind { get; init; }

    public bool Ssl { get; init; }

    public bool Http2 { get; init; }

    public bool ProxyProtocol { get; init; }

    public bool ReusePort { get; init; }

    public bool Deferred { get; init; }

    public int Backlog { get; init; } = 511;

    public long? ReceiveBuffer { get; init; }

    public long? SendBuffer { get; init; }

    public bool? Ipv6Only { get; init; }

    public bool? SoKeepalive { get; init; }

    public required SourceLocation Location { get; init; }
}

/// <summary>Everything listening on one (family, port): the addresses and, for each, its servers.</summary>
public sealed class ListenPortBuilder
{
    public ListenPortBuilder(AddressFamily family, int port)
    {
        Family = family;
        Port = port;
    }

    public AddressFamily Family { get; }

    public int Port { get; }

    public List<ListenAddressBuilder> Addresses { get; } = [];
}

/// <summary>One address:port and the servers listening on it; the first server (or the default_server one) is its default.</summary>
public sealed class ListenAddressBuilder
{
    public ListenAddressBuilder(ListenOptions options, ServerBuilder defaultServer)
    {
        Options = options;
        DefaultServer = defaultServer;
    }

    public ListenOptions Options { get; set; }

    public ServerBuilder DefaultServer { get; set; }

    public List<ServerBuilder> Servers { get; } = [];
}
