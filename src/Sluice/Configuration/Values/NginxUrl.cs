using System.Net;
using System.Net.Sockets;

namespace Sluice.Configuration.Values;

/// <summary>What a URL argument is for; changes what <see cref="NginxUrl.Parse"/> accepts (nginx's <c>ngx_url_t</c> flags).</summary>
public readonly record struct UrlParseOptions
{
    /// <summary>A <c>listen</c> address: a bare number is a port, <c>*</c> is the wildcard, port ranges allowed.</summary>
    public bool Listen { get; init; }

    /// <summary>A URI after the address is allowed (<c>proxy_pass http://h:p/uri</c>).</summary>
    public bool UriPart { get; init; }

    /// <summary>Do not resolve names now (they are resolved later, or are upstream names).</summary>
    public bool NoResolve { get; init; }

    public int DefaultPort { get; init; }
}

/// <summary>
/// An address argument parsed by nginx's <c>ngx_parse_url</c> rules: <c>unix:/path</c>, <c>[v6]:port</c>,
/// <c>host:port</c>, <c>host</c> (default port), and for listen a bare <c>port</c> or <c>*:port</c>.
/// <see cref="Error"/> holds nginx's reason (<c>invalid port</c>, <c>host not found</c>, …) when parsing failed.
/// </summary>
public sealed class NginxUrl
{
    public required string Url { get; init; }

    /// <summary>The host as written (with brackets for IPv6, the path for unix sockets).</summary>
    public string Host { get; private set; } = "";

    public int Port { get; private set; }

    /// <summary>Last port of a listen range, 0 when no range.</summary>
    public int LastPort { get; private set; }

    /// <summary>The port as written, empty when defaulted.</summary>
    public string PortText { get; private set; } = "";

    public bool NoPort { get; private set; }

    /// <summary>The URI part (from the first '/' or '?'), when allowed.</summary>
    public string Uri { get; private set; } = "";

    public bool IsUnix { get; private set; }

    public bool Wildcard { get; private set; }

    public AddressFamily Family { get; private set; } = AddressFamily.InterNetwork;

    /// <summary>The addresses: one for a literal, all for a resolved name, none when not resolved.</summary>
    public IReadOnlyList<EndPoint> Addresses { get; private set; } = [];

    public string? Error { get; private set; }

    public bool Ok => Error is null;

    public static NginxUrl Parse(string url, UrlParseOptions options, IHostResolver resolver)
    {
        var u = new NginxUrl { Url = url };
        if (url.Length >= 5 && url.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            u.ParseUnix(options);
        }
        else if (url.Length > 0 && url[0] == '[')
        {
            u.ParseInet6(options);
        }
        else
        {
            u.ParseInet(options, resolver);
        }

        return u;
    }

    private void Fail(string error) => Error = error;

    private void ParseUnix(UrlParseOptions options)
    {
        var path = Url[5..];
        if (options.UriPart)
        {
            var colon = path.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0)
            {
                Uri = path[(colon + 1)..];
                path = path[..colon];
            }
        }

        if (path.Length == 0)
        {
            Fail("no path in the unix domain socket");
            return;
        }

        // sun_path is 108 bytes including the terminating zero.
        if (System.Text.Encoding.UTF8.GetByteCount(path) + 1 > 108)
        {
            Fail("too long path in the unix domain socket");
            return;
        }

        Host = path;
        IsUnix = true;
        Family = AddressFamily.Unix;
        Addresses = [new UnixDomainSocketEndPoint(path)];
    }

    private void ParseInet(UrlParseOptions options, IHostResolver resolver)
    {
        var text = Url.AsSpan();
        var last = text.Length;
        var port = text.IndexOf(':');
        var uri = text.IndexOf('/');
        var args = text.IndexOf('?');
        if (args >= 0 && (uri < 0 || args < uri))
        {
            uri = args;
        }

        if (uri >= 0)
        {
            if (options.Listen || !options.UriPart)
            {
                Fail("invalid host");
                return;
            }

            Uri = Url[uri..];
            last = uri;
            if (uri < port)
            {
                port = -1;
            }
        }

        if (port >= 0)
        {
            var portStart = port + 1;
            var portEnd = last;
            if (options.Listen)
            {
                var dash = text[portStart..last].IndexOf('-');
                if (dash >= 0)
                {
                    if (!NginxValues.TryParseInt(text[(portStart + dash + 1)..last], out var lastPort) || lastPort is < 1 or > 65535)
                    {
                        Fail("invalid port");
                        return;
                    }

                    LastPort = lastPort;
                    portEnd = portStart + dash;
                }
            }

            if (!NginxValues.TryParseInt(text[portStart..portEnd], out var n) || n is < 1 or > 65535)
            {
                Fail("invalid port");
                return;
            }

            if (LastPort != 0 && n > LastPort)
            {
                Fail("invalid port range");
                return;
            }

            Port = n;
            PortText = Url[portStart..last];
            last = port;
        }
        else
        {
            if (uri < 0 && options.Listen && TryListenPortOnly(text))
            {
                return;
            }

            if (Error is not null)
            {
                return;
            }

            NoPort = true;
            Port = options.DefaultPort;
            LastPort = 0;
        }

        if (last == 0)
        {
            Fail("no host");
            return;
        }

        Host = Url[..last];
        if (options.Listen && Host == "*")
        {
            Wildcard = true;
            AddAddresses([IPAddress.Any]);
            return;
        }

        if (TryParseIPv4(Host, out var v4))
        {
            Wildcard = v4.Equals(IPAddress.Any);
            AddAddresses([v4]);
            return;
        }

        if (options.NoResolve)
        {
            return;
        }

        var resolved = resolver.Resolve(Host);
        if (resolved.Count == 0)
        {
            Fail("host not found");
            return;
        }

        Family = resolved[0].AddressFamily;
        Wildcard = resolved[0].Equals(IPAddress.Any) || resolved[0].Equals(IPAddress.IPv6Any);
        AddAddresses(resolved);
    }

    /// <summary>listen's "test value as port only": <c>8080</c> or <c>8000-8010</c> means all addresses.</summary>
    private bool TryListenPortOnly(ReadOnlySpan<char> text)
    {
        var length = text.Length;
        var dash = text.IndexOf('-');
        if (dash >= 0)
        {
            if (!NginxValues.TryParseNumber(text[(dash + 1)..], out var lastPort))
            {
                return false;
            }

            if (lastPort is < 1 or > 65535)
            {
                Error = "invalid port";
            }
            else
            {
                LastPort = (int)lastPort;
            }

            length = dash;
        }

        if (!NginxValues.TryParseNumber(text[..length], out var n))
        {
            Error = null;
            return false;
        }

        if (Error is not null)
        {
            return true;
        }

        if (n is < 1 or > 65535)
        {
            Fail("invalid port");
            return true;
        }

        if (LastPort != 0 && n > LastPort)
        {
            Fail("invalid port range");
            return true;
        }

        Port = (int)n;
        PortText = Url;
        Wildcard = true;
        AddAddresses([IPAddress.Any]);
        return true;
    }

    private void ParseInet6(UrlParseOptions options)
    {
        var close = Url.IndexOf(']', 1);
        if (close < 0)
        {
            Fail("invalid host");
            return;
        }

        var last = Url.Length;
        var portPos = close + 1;
        var uri = Url.IndexOf('/', portPos);
        if (uri >= 0)
        {
            if (options.Listen || !options.UriPart)
            {
                Fail("invalid host");
                return;
            }

            Uri = Url[uri..];
            last = uri;
        }

        if (portPos < last)
        {
            if (Url[portPos] != ':')
            {
                Fail("invalid host");
                return;
            }

            var portStart = portPos + 1;
            var portEnd = last;
            if (options.Listen)
            {
                var dash = Url.IndexOf('-', portStart, last - portStart);
                if (dash >= 0)
                {
                    if (!NginxValues.TryParseInt(Url.AsSpan(dash + 1, last - dash - 1), out var lastPort) || lastPort is < 1 or > 65535)
                    {
                        Fail("invalid port");
                        return;
                    }

                    LastPort = lastPort;
                    portEnd = dash;
                }
            }

            if (!NginxValues.TryParseInt(Url.AsSpan(portStart, portEnd - portStart), out var n) || n is < 1 or > 65535)
            {
                Fail("invalid port");
                return;
            }

            if (LastPort != 0 && n > LastPort)
            {
                Fail("invalid port range");
                return;
            }

            Port = n;
            PortText = Url[portStart..last];
        }
        else
        {
            NoPort = true;
            Port = options.DefaultPort;
        }

        var hostLength = close - 1;
        if (hostLength == 0)
        {
            Fail("no host");
            return;
        }

        Host = Url[..(close + 1)];
        if (!IPAddress.TryParse(Url.AsSpan(1, hostLength), out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
        {
            Fail("invalid IPv6 address");
            return;
        }

        Wildcard = v6.Equals(IPAddress.IPv6Any);
        Family = AddressFamily.InterNetworkV6;
        AddAddresses([v6]);
    }

    private void AddAddresses(IReadOnlyList<IPAddress> addresses)
    {
        var ports = LastPort != 0 ? LastPort - Port + 1 : 1;
        var list = new List<EndPoint>(addresses.Count * ports);
        foreach (var address in addresses)
        {
            for (var p = 0; p < ports; p++)
            {
                list.Add(new IPEndPoint(address, Port + p));
            }
        }

        Addresses = list;
    }

    /// <summary>
    /// nginx's <c>ngx_inet_addr</c>: three dots and octets up to 255 (an empty octet counts as 0);
    /// 255.255.255.255 is its "none" value and so is not taken as an address.
    /// </summary>
    public static bool TryParseIPv4(string text, out IPAddress address)
    {
        address = IPAddress.None;
        uint addr = 0;
        uint octet = 0;
        var dots = 0;
        foreach (var c in text)
        {
            if (c is >= '0' and <= '9')
            {
                octet = (octet * 10) + (uint)(c - '0');
                if (octet > 255)
                {
                    return false;
                }

                continue;
            }

            if (c == '.')
            {
                addr = (addr << 8) + octet;
                octet = 0;
                dots++;
                continue;
            }

            return false;
        }

        if (dots != 3)
        {
            return false;
        }

        addr = (addr << 8) + octet;
        if (addr == uint.MaxValue)
        {
            return false;
        }

        address = new IPAddress([(byte)(addr >> 24), (byte)(addr >> 16), (byte)(addr >> 8), (byte)addr]);
        return true;
    }
}
