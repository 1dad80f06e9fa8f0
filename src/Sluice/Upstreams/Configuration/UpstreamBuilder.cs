using System.Collections.Immutable;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Syntax;

namespace Sluice.Upstreams.Configuration;

/// <summary>The <c>server</c> parameters a balancing method admits (nginx's <c>NGX_HTTP_UPSTREAM_*</c> flags).</summary>
[Flags]
public enum ServerParameters
{
    None = 0,
    Weight = 1 << 0,
    MaxConns = 1 << 1,
    MaxFails = 1 << 2,
    FailTimeout = 1 << 3,
    Down = 1 << 4,
    Backup = 1 << 5,

    All = Weight | MaxConns | MaxFails | FailTimeout | Down | Backup,

    /// <summary>The hash, ip_hash and random methods cannot fall back to backup servers.</summary>
    AllButBackup = All & ~Backup,
}

/// <summary>
/// An upstream group while the configuration is read (nginx's <c>ngx_http_upstream_srv_conf_t</c>). It is
/// created by the first <c>upstream</c> block or <c>proxy_pass</c> that names it, and frozen into an
/// <see cref="UpstreamGroup"/> when the http block closes.
/// </summary>
public sealed class UpstreamBuilder
{
    internal UpstreamBuilder(string name, int port, bool noPort, SourceLocation location)
    {
        Name = name;
        Port = port;
        NoPort = noPort;
        Location = location;
    }

    public string Name { get; }

    /// <summary>The port of an implicit upstream; 0 once an <c>upstream</c> block defines the name.</summary>
    public int Port { get; private set; }

    /// <summary>True when the name was given without a port.</summary>
    public bool NoPort { get; }

    /// <summary>Where the name first appeared; nginx keeps it even when a block later defines the name.</summary>
    public SourceLocation Location { get; }

    public bool IsBlock { get; private set; }

    /// <summary>The block's scope (for the keepalive settings); null for an implicit upstream.</summary>
    public ConfScope? Scope { get; private set; }

    /// <summary>The server lines; null for an implicit upstream named by host, resolved when the http block closes.</summary>
    public List<UpstreamServer>? Servers { get; private set; }

    public ServerParameters AllowedParameters { get; private set; } = ServerParameters.All;

    public BalancingMethod Balancing { get; private set; } = BalancingMethod.RoundRobin;

    /// <summary>Whether a directive already chose how peers are initialised (a method or <c>keepalive</c>).</summary>
    public bool HasPeerInit { get; private set; }

    /// <summary>The <c>keepalive</c> connection count, 0 when not given.</summary>
    public int KeepaliveConnections { get; private set; }

    /// <summary>
    /// False when a balancing method came after <c>keepalive</c>: nginx then replaces the keepalive wrapper
    /// with the method (with only a "redefined" warning), so the connection cache is silently off.
    /// </summary>
    public bool KeepaliveInEffect { get; private set; }

    public string? Zone { get; set; }

    /// <summary>The frozen group, once the http block closed.</summary>
    public UpstreamGroup? Group { get; private set; }

    /// <summary>An <c>upstream { }</c> block takes over the name: its own servers, no port, every parameter.</summary>
    internal void BecomeBlock(ConfScope scope)
    {
        IsBlock = true;
        Port = 0;
        Scope = scope;
        Servers = [];
        AllowedParameters = ServerParameters.All;
    }

    /// <summary>An implicit upstream whose address is a literal (an IP or a unix socket) gets its one server at once.</summary>
    internal void SetLiteralServer(UpstreamServer server) => Servers = [server];

    /// <summary>Sets the balancing method; false when one was already chosen (nginx warns "redefined").</summary>
    public bool SetBalancing(BalancingMethod method, ServerParameters allowed)
    {
        var first = !HasPeerInit;
        HasPeerInit = true;
        Balancing = method;
        AllowedParameters = allowed;
        KeepaliveInEffect = false;
        return first;
    }

    public void SetKeepalive(int connections)
    {
        KeepaliveConnections = connections;
        KeepaliveInEffect = true;
        HasPeerInit = true;
    }

    internal UpstreamGroup Freeze(ImmutableArray<UpstreamServer> servers, UpstreamKeepalive? keepalive)
    {
        Group = new UpstreamGroup(Name, Port, IsBlock, servers, Balancing, keepalive, Zone, Location);
        return Group;
    }
}
