using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Hosting;
using Sluice.Http.Runtime;

namespace Sluice.Variables;

/// <summary>
/// The built-in variables of nginx's http core (and the families <c>$http_*</c>, <c>$arg_*</c>,
/// <c>$cookie_*</c>, <c>$sent_http_*</c>), each a getter over <see cref="RequestContext"/>. Names are
/// resolved once when templates are compiled; getters do the minimum work per request.
/// </summary>
public static class CoreVariables
{
    private static readonly string HostName = Dns.GetHostName();
    private static readonly string Pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    public static VariableGetter? Resolve(string name) => name switch
    {
        "host" => r => HostVariable(r),
        "hostname" => _ => HostName,
        "remote_addr" => r => AddressText(r.Connection?.Remote?.Address ?? r.Http.Connection.RemoteIpAddress),
        "remote_port" => r => (r.Connection?.Remote?.Port ?? r.Http.Connection.RemotePort).ToString(CultureInfo.InvariantCulture),
        "binary_remote_addr" => r => BinaryAddress(r.Connection?.Remote?.Address ?? r.Http.Connection.RemoteIpAddress),
        "server_addr" => r => AddressText(r.Connection?.Local?.Address ?? r.Http.Connection.LocalIpAddress),
        "server_port" => r => (r.Connection?.Local?.Port ?? r.Http.Connection.LocalPort).ToString(CultureInfo.InvariantCulture),
        "server_name" => r => r.Server.PrimaryName,
        "server_protocol" => r => r.Http.Request.Protocol,
        "scheme" => r => r.Http.Request.Scheme,
        "https" => r => r.Http.Request.IsHttps ? "on" : "",
        "request" => r => r.IncompleteRequestLine ?? $"{r.Http.Request.Method} {r.RawTarget} {r.Http.Request.Protocol}",
        "request_method" => r => r.Http.Request.Method,
        "request_uri" => r => r.RawTarget,
        "uri" or "document_uri" => r => r.Uri,
        // Without a query (or with a bare '?') nginx has no args: "-" in a log line, "" elsewhere.
        "args" or "query_string" => r => string.IsNullOrEmpty(r.Args) ? null : r.Args,
        "is_args" => r => string.IsNullOrEmpty(r.Args) ? "" : "?",
        "content_type" => r => FirstHeader(r.Http.Request.Headers, "Content-Type"),
        "content_length" => r => FirstHeader(r.Http.Request.Headers, "Content-Length"),
        "status" => r => r.Status == 0 ? "000" : r.Status.ToString("D3", CultureInfo.InvariantCulture),
        "body_bytes_sent" => r => r.BodyBytesSent.ToString(CultureInfo.InvariantCulture),
        "bytes_sent" => r => (r.BodyBytesSent + ResponseHeaderLength(r)).ToString(CultureInfo.InvariantCulture),
        "request_length" => r => RequestLength(r).ToString(CultureInfo.InvariantCulture),
        "request_time" => r => Seconds(r.Elapsed),
        "msec" => r => Msec(r.Runtime.Time.GetUtcNow()),
        "time_local" => r => TimeLocal(r.Runtime.Time.GetLocalNow()),
        "time_iso8601" => r => r.Runtime.Time.GetLocalNow().ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
        "connection" => r => r.Connection?.Serial.ToString(CultureInfo.InvariantCulture),
        "connection_requests" => r => (r.Connection?.Requests ?? 1).ToString(CultureInfo.InvariantCulture),
        "pid" => _ => Pid,
        "nginx_version" => _ => ProductInfo.Version,
        "remote_user" => r => RemoteUser(r),
        "request_id" => r => RequestId(r),
        "document_root" => r => r.Location.Core.Root?.Render(r),
        "realpath_root" => r => r.Location.Core.Root?.Render(r) is { } root ? SafeRealPath(root) : null,
        "request_filename" => r => Http.StaticFiles.StaticFileHandler.MapPath(r),
        "http_cookie" => r => JoinHeader(r.Http.Request.Headers, "Cookie", "; "),

        // Kestrel does not say whether a request came pipelined behind another; nginx's "." is the usual answer.
        "pipe" => _ => ".",
        "request_completion" => r => r.Finished && r.HandlerCompleted && r.Status != 499 ? "OK" : "",
        "realip_remote_addr" => r => AddressText(r.Connection?.Remote?.Address ?? r.Http.Connection.RemoteIpAddress),
        "realip_remote_port" => r => (r.Connection?.Remote?.Port ?? r.Http.Connection.RemotePort).ToString(CultureInfo.InvariantCulture),
        "connections_active" => r => r.Runtime.Counters.Active.ToString(CultureInfo.InvariantCulture),
        "connections_reading" => r => r.Runtime.Counters.Reading.ToString(CultureInfo.InvariantCulture),
        "connections_writing" => r => r.Runtime.Counters.Writing.ToString(CultureInfo.InvariantCulture),

        // A finished request's connection is not yet waiting for the next one while its line is logged.
        "connections_waiting" => r => Math.Max(0, r.Runtime.Counters.Waiting - (r.Finished && r.Connection is not null ? 1 : 0)).ToString(CultureInfo.InvariantCulture),

        // nginx answers these from r->keepalive, which is off by the time a request is logged: "close", and no Keep-Alive.
        "sent_http_connection" => r => r.Finished ? (r.Http.Response.StatusCode == 101 ? "upgrade" : "close") : FirstHeader(r.Http.Response.Headers, "Connection"),
        "sent_http_keep_alive" => r => r.Finished ? null : FirstHeader(r.Http.Response.Headers, "Keep-Alive"),
        "http_x_forwarded_for" => r => JoinHeader(r.Http.Request.Headers, "X-Forwarded-For", ", "),
        _ => Proxy.Runtime.UpstreamVariables.Resolve(name) ?? ResolveFamily(name),
    };

    private static VariableGetter? ResolveFamily(string name)
    {
        if (name.StartsWith("http_", StringComparison.Ordinal))
        {
            var header = HeaderName(name[5..]);
            return r => FirstHeader(r.Http.Request.Headers, header);
        }

        if (name.StartsWith("sent_http_", StringComparison.Ordinal))
        {
            var header = HeaderName(name[10..]);
            return r => FirstHeader(r.Http.Response.Headers, header);
        }

        if (name.StartsWith("cookie_", StringComparison.Ordinal))
        {
            var cookie = name[7..];
            return r => Cookie(r.Http.Request.Headers, cookie);
        }

        if (name.StartsWith("arg_", StringComparison.Ordinal))
        {
            var arg = name[4..];
            return r => Arg(r.Args, arg);
        }

        return null;
    }

    /// <summary><c>$host</c>: the host of the request line, else of the Host header, else the server name; lowercase, no port.</summary>
    private static string HostVariable(RequestContext r) => r.HostHeader ?? r.Server.PrimaryName;

    public static string? AddressText(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.ToString();
    }

    private static string? BinaryAddress(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return Encoding.Latin1.GetString(address.GetAddressBytes());
    }

    /// <summary>nginx's header-variable name mapping: '_' stands for '-', compared without case.</summary>
    private static string HeaderName(string suffix) => suffix.Replace('_', '-');

    /// <summary>nginx 1.22 returns the first of repeated unknown headers.</summary>
    private static string? FirstHeader(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    private static string? JoinHeader(IHeaderDictionary headers, string name, string separator) =>
        headers.TryGetValue(name, out var values) && values.Count > 0 ? (values.Count == 1 ? values[0] : string.Join(separator, values.ToArray())) : null;

    private static string? Cookie(IHeaderDictionary headers, string name)
    {
        if (!headers.TryGetValue("Cookie", out var values))
        {
            return null;
        }

        foreach (var header in values)
        {
            foreach (var pair in (header ?? "").Split(';'))
            {
                var trimmed = pair.AsSpan().Trim();
                var eq = trimmed.IndexOf('=');
                if (eq > 0 && trimmed[..eq].Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return trimmed[(eq + 1)..].ToString();
                }
            }
        }

        return null;
    }

    /// <summary>
    /// nginx's <c>ngx_http_arg</c>: the value of the first "name=" in the query, name compared without case, value
    /// raw; an argument without '=' ("?name&…") is not found. Walks the query in place: only the value is allocated.
    /// </summary>
    public static string? Arg(string? args, string name)
    {
        if (string.IsNullOrEmpty(args))
        {
            return null;
        }

        var rest = args.AsSpan();
        var offset = 0;
        while (true)
        {
            var amp = rest.IndexOf('&');
            var pair = amp < 0 ? rest : rest[..amp];
            if (pair.Length > name.Length && pair[name.Length] == '=' && pair[..name.Length].Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return args.Substring(offset + name.Length + 1, pair.Length - name.Length - 1);
            }

            if (amp < 0)
            {
                return null;
            }

            rest = rest[(amp + 1)..];
            offset += amp + 1;
        }
    }

    /// <summary>
    /// nginx's <c>ngx_http_auth_basic_user</c>: the bytes before ':' in the base64 of "Authorization: Basic …" (padding
    /// optional), kept as they are (<see cref="RawBytes"/>); not found without a name or a ':'.
    /// </summary>
    private static string? RemoteUser(RequestContext r)
    {
        var header = r.Http.Request.Headers.Authorization;
        if (header.Count == 0 || header[0] is not { Length: > 6 } value || !value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var encoded = value.AsSpan(6).TrimStart(' ');
        var padding = encoded.IndexOf('=');
        encoded = padding < 0 ? encoded : encoded[..padding];
        if (encoded.Length == 0 || encoded.Length % 4 == 1)
        {
            return null;
        }

        var padded = encoded.Length % 4 == 0 ? encoded.ToString() : string.Concat(encoded, "==".AsSpan(0, 4 - (encoded.Length % 4)));
        var bytes = new byte[padded.Length / 4 * 3];
        if (!Convert.TryFromBase64String(padded, bytes, out var length))
        {
            return null;
        }

        var colon = bytes.AsSpan(0, length).IndexOf((byte)':');
        return colon <= 0 ? null : RawBytes.Decode(bytes.AsSpan(0, colon));
    }

    private static string RequestId(RequestContext r)
    {
        if (r.Item<RequestIdHolder>() is { } holder)
        {
            return holder.Id;
        }

        var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        r.SetItem(new RequestIdHolder(id));
        return id;
    }

    private sealed record RequestIdHolder(string Id);

    private static string SafeRealPath(string path)
    {
        try
        {
            return new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        }
        catch (IOException)
        {
            return path;
        }
    }

    /// <summary>Seconds with millisecond resolution: "0.523".</summary>
    public static string Seconds(TimeSpan elapsed) =>
        (Math.Max(0, (long)elapsed.TotalMilliseconds) / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary><c>$msec</c>: "1764304925.123".</summary>
    public static string Msec(DateTimeOffset now) => (now.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>The last <c>$time_local</c> made, and the second it is for: nginx too formats its time strings once a second.</summary>
    private static volatile TimeText? _timeLocal;

    private sealed record TimeText(long Second, TimeSpan Offset, string Text);

    /// <summary><c>$time_local</c>: "28/Nov/2026:04:22:05 +0000".</summary>
    public static string TimeLocal(DateTimeOffset now)
    {
        var second = now.ToUnixTimeSeconds();
        if (_timeLocal is { } cached && cached.Second == second && cached.Offset == now.Offset)
        {
            return cached.Text;
        }

        var text = FormatTimeLocal(now);
        _timeLocal = new TimeText(second, now.Offset, text);
        return text;
    }

    private static string FormatTimeLocal(DateTimeOffset now)
    {
        var offset = now.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return string.Create(CultureInfo.InvariantCulture, $"{now:dd'/'MMM'/'yyyy':'HH':'mm':'ss} {sign}{offset.Hours:D2}{offset.Minutes:D2}");
    }

    /// <summary>Bytes of the request line and headers as received, plus the body a handler read (<c>$request_length</c>).</summary>
    private static long RequestLength(RequestContext r)
    {
        var request = r.Http.Request;
        long length = request.Method.Length + 1 + r.RawTarget.Length + 1 + request.Protocol.Length + 2;
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                // Kestrel decoded the value from UTF-8: count the bytes that came.
                length += name.Length + 2 + (value is null ? 0 : Encoding.UTF8.GetByteCount(value)) + 2;
            }
        }

        return length + 2 + r.BodyBytesRead;
    }

    /// <summary>Bytes of the status line and headers sent (for <c>$bytes_sent</c>).</summary>
    private static long ResponseHeaderLength(RequestContext r)
    {
        var response = r.Http.Response;
        long length = "HTTP/1.1 ".Length + 3 + 1 + StatusText.ReasonPhrase(response.StatusCode).Length + 2;
        foreach (var (name, values) in response.Headers)
        {
            foreach (var value in values)
            {
                length += name.Length + 2 + (value?.Length ?? 0) + 2;
            }
        }

        return length + 2;
    }

    internal static bool IsIPv6(IPAddress? address) => address?.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6;
}
