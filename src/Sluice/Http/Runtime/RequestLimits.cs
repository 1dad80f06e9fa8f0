using Microsoft.AspNetCore.Http;
using Sluice.Core;

namespace Sluice.Http.Runtime;

/// <summary>
/// nginx's limits on what a client sends, checked when the request is handed over: the request line and
/// header lines against <c>large_client_header_buffers</c> (414, or 400 "Request Header Or Cookie Too
/// Large"), the declared body against <c>client_max_body_size</c> (413), and <c>keepalive_requests</c>.
/// Kestrel's own limits sit well above these, so the answers are nginx's.
/// </summary>
internal static class RequestLimits
{
    /// <summary>nginx reads a header into a client_header_buffer_size (1k) buffer first: what fits needs no large buffer.</summary>
    private const int ClientHeaderBufferSize = 1024;

    /// <summary>
    /// 0 when the head fits, else the status to finalize with: 414 for a request line longer than one large
    /// buffer, 494 for a header line longer than one, or for lines that, packed as nginx packs them (a line
    /// never split), need more buffers than there are.
    /// </summary>
    public static int CheckHead(RequestContext request)
    {
        var http = request.Http.Request;
        var buffers = request.Server.ServerLocation.Core.LargeHeaderBuffers;
        var line = http.Method.Length + 1 + request.RawTarget.Length + 1 + http.Protocol.Length + 2;
        if (line > buffers.Size && line > ClientHeaderBufferSize)
        {
            Log(request, "client sent too long URI while reading client request line");
            return 414;
        }

        long total = line;
        long used = line;
        var count = 1;
        foreach (var (name, values) in http.Headers)
        {
            foreach (var value in values)
            {
                var length = name.Length + 2 + (value?.Length ?? 0) + 2;
                total += length;
                if (total <= ClientHeaderBufferSize)
                {
                    used = total;
                    continue;
                }

                if (length > buffers.Size || (used + length > buffers.Size && ++count > buffers.Count))
                {
                    var text = name + ": " + value;
                    Log(request, $"client sent too long header line: \"{(text.Length > 1024 ? text[..1024] + "..." : text)}\" while reading client request headers");
                    return 494;
                }

                used = used + length > buffers.Size ? length : used + length;
            }
        }

        return 0;
    }

    /// <summary>A declared body over client_max_body_size (0: no limit) is refused before anything reads it.</summary>
    public static bool BodyTooLarge(RequestContext request)
    {
        var max = request.Location.Core.ClientMaxBodySize;
        if (max > 0 && request.Http.Request.ContentLength is { } length && length > max)
        {
            request.ErrorLog.Write(LogLevel.Error, $"client intended to send too large body: {length} bytes{Context(request)}");
            return true;
        }

        return false;
    }

    /// <summary>nginx's ", client: …, server: …, request: "…", host: "…"" tail of a request's log line.</summary>
    public static string Context(RequestContext request)
    {
        var http = request.Http;
        var client = Variables.CoreVariables.AddressText(request.Connection?.Remote?.Address ?? http.Connection.RemoteIpAddress);
        var host = http.Request.Headers.Host is { Count: > 0 } hostHeader ? $", host: \"{hostHeader}\"" : "";
        return $", client: {client}, server: {request.Server?.PrimaryName}, request: \"{http.Request.Method} {request.RawTarget} {http.Request.Protocol}\"{host}";
    }

    private static void Log(RequestContext request, string message) => request.ErrorLog.Write(LogLevel.Info, message + Context(request));
}
