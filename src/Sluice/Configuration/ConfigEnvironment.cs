using System.Net;
using System.Net.Sockets;

namespace Sluice.Configuration;

/// <summary>
/// What a configuration is interpreted against: the prefix paths relative names resolve to, name
/// resolution for upstream hosts, and facts about the process (nginx checks <c>user</c> only as root).
/// Injected so tests can load configurations without touching DNS or the password database.
/// </summary>
public sealed class ConfigEnvironment
{
    /// <summary>The <c>-p</c> prefix, ending in '/': relative log, pid and root paths resolve against it.</summary>
    public required string Prefix { get; init; }

    /// <summary>The directory of the main configuration file, ending in '/': relative includes resolve against it.</summary>
    public required string ConfPrefix { get; init; }

    public IHostResolver Resolver { get; init; } = SystemHostResolver.Instance;

    /// <summary>Whether the process runs as root (then nginx validates <c>user</c> and would switch to it).</summary>
    public bool IsSuperUser { get; init; } = Environment.IsPrivilegedProcess;

    /// <summary>Looks up a user name (getpwnam); injected for tests.</summary>
    public Func<string, bool> UserExists { get; init; } = UnixAccounts.UserExists;

    /// <summary>Looks up a group name (getgrnam); injected for tests.</summary>
    public Func<string, bool> GroupExists { get; init; } = UnixAccounts.GroupExists;

    /// <summary>nginx's <c>ngx_conf_full_name(cycle, name, 0)</c>: absolute as written, otherwise under <see cref="Prefix"/>.</summary>
    public string FullPath(string name) => name.StartsWith('/') ? name : Prefix + name;

    /// <summary>nginx's <c>ngx_conf_full_name(cycle, name, 1)</c>: absolute as written, otherwise under <see cref="ConfPrefix"/>.</summary>
    public string FullConfPath(string name) => name.StartsWith('/') ? name : ConfPrefix + name;

    /// <summary>An environment for tests and tools: literal addresses and <c>localhost</c> only, no DNS.</summary>
    public static ConfigEnvironment ForTests(string prefix = "/tmp/sluice-test/") => new()
    {
        Prefix = prefix,
        ConfPrefix = prefix,
        Resolver = LiteralHostResolver.Instance,
        IsSuperUser = false,
        UserExists = _ => true,
        GroupExists = _ => true,
    };
}

/// <summary>Resolves upstream host names when a configuration is loaded, as nginx does (no runtime re-resolution).</summary>
public interface IHostResolver
{
    /// <summary>Addresses for a name, IPv4 before IPv6 as nginx orders them; empty when the name does not resolve.</summary>
    IReadOnlyList<IPAddress> Resolve(string host);
}

/// <summary>The system resolver (getaddrinfo), ordered as nginx's <c>ngx_inet_resolve_host</c>: IPv4 first, then IPv6.</summary>
public sealed class SystemHostResolver : IHostResolver
{
    public static SystemHostResolver Instance { get; } = new();

    public IReadOnlyList<IPAddress> Resolve(string host)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }

        try
        {
            var addresses = Dns.GetHostAddresses(host);
            return
            [
                .. addresses.Where(a => a.AddressFamily == AddressFamily.InterNetwork).Distinct(),
                .. addresses.Where(a => a.AddressFamily == AddressFamily.InterNetworkV6).Distinct(),
            ];
        }
        catch (SocketException)
        {
            return [];
        }
        catch (ArgumentException)
        {
            return [];
        }
    }
}

/// <summary>Resolves only literal addresses and <c>localhost</c>; everything else is "host not found". For tests.</summary>
public sealed class LiteralHostResolver : IHostResolver
{
    public static LiteralHostResolver Instance { get; } = new();

    public IReadOnlyList<IPAddress> Resolve(string host) =>
        IPAddress.TryParse(host, out var literal) ? [literal]
        : string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? [IPAddress.Loopback]
        : [];
}
