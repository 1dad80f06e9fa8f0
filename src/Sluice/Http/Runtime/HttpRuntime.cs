using System.Net;
using Sluice.Logging;
using Sluice.Variables;

namespace Sluice.Http.Runtime;

/// <summary>
/// The http part of one configuration generation: its listen sockets with the virtual servers behind
/// each address, the servers and locations, compiled variables, and the shared services requests use.
/// Immutable once built; a reload builds a new one.
/// </summary>
public sealed class HttpRuntime
{
    public required IReadOnlyList<SocketRuntime> Sockets { get; init; }

    public required IReadOnlyList<ServerRuntime> Servers { get; init; }

    public required VariableResolver Variables { get; init; }

    public required TimeProvider Time { get; init; }

    public required ServerCounters Counters { get; init; }

    public required ErrorLog ErrorLog { get; init; }

    public required LogFiles LogFiles { get; init; }

    /// <summary>Runs after each request (the access log); set by the features that need it.</summary>
    public Action<RequestContext>? RequestCompleted { get; init; }

    /// <summary>The socket a listener was opened for, by its key.</summary>
    public SocketRuntime? Socket(string key)
    {
        foreach (var socket in Sockets)
        {
            if (socket.Key == key)
            {
                return socket;
            }
        }

        return null;
    }
}

/// <summary>
/// One listening socket and the addresses it serves: its own address, and — for a wildcard socket — the
/// specific addresses of the same port that have no socket of their own (told apart by the connection's
/// local address, as nginx does).
/// </summary>
public sealed class SocketRuntime
{
    public required string Key { get; init; }

    public required EndPoint EndPoint { get; init; }

    public required Http.Configuration.ListenOptions Options { get; init; }

    public required AddressRuntime Own { get; init; }

    public IReadOnlyDictionary<IPAddress, AddressRuntime> Specific { get; init; } = new Dictionary<IPAddress, AddressRuntime>();

    public AddressRuntime For(IPAddress? local)
    {
        if (Specific.Count > 0 && local is not null)
        {
            if (local.IsIPv4MappedToIPv6)
            {
                local = local.MapToIPv4();
            }

            if (Specific.TryGetValue(local, out var address))
            {
                return address;
            }
        }

        return Own;
    }

    /// <summary>The identity of a socket across reloads: same endpoint and socket options means the listener is kept.</summary>
    public static string KeyOf(Http.Configuration.ListenOptions options) =>
        $"{options.AddressText}|ssl={options.Ssl}|h2={options.Http2}|pp={options.ProxyProtocol}|rp={options.ReusePort}|bl={options.Backlog}|v6={options.Ipv6Only}";
}
