using Microsoft.AspNetCore.Http;

namespace Sluice.Http.Runtime;

/// <summary>
/// nginx's <c>Connection</c> response header (<c>ngx_http_header_filter</c>): <c>upgrade</c> on a 101,
/// <c>keep-alive</c> (with <c>Keep-Alive: timeout=N</c> when keepalive_timeout names a header time) when the
/// connection stays open, <c>close</c> otherwise. Kestrel writes a Connection header only when it closes, so
/// Sluice writes nginx's, and Kestrel follows it: a value without "keep-alive" makes it close the connection.
/// </summary>
internal static class ConnectionHeader
{
    private const string KeepAlive = "keep-alive";
    private const string Close = "close";

    /// <summary>Decides and sets the header, unless a phase already did (nginx's 400, 413, 500 … pages say "close").</summary>
    public static void Apply(RequestContext request)
    {
        var response = request.Http.Response;
        if (response.StatusCode == StatusCodes.Status101SwitchingProtocols)
        {
            response.Headers.Connection = "upgrade";
            return;
        }

        if (response.Headers.Connection.Count > 0)
        {
            return;
        }

        var protocol = request.Http.Request.Protocol;
        var http11 = HttpProtocol.IsHttp11(protocol);
        if (!http11 && !HttpProtocol.IsHttp10(protocol))
        {
            // HTTP/2 has no Connection header.
            return;
        }

        if (!KeepsAlive(request, http11))
        {
            response.Headers.Connection = Close;
            return;
        }

        response.Headers.Connection = KeepAlive;
        if (request.Location?.Core.KeepaliveHeader is { } header)
        {
            response.Headers.KeepAlive = header;
        }
    }

    /// <summary>nginx's <c>r->keepalive</c> as its header filter sees it.</summary>
    private static bool KeepsAlive(RequestContext request, bool http11)
    {
        // ngx_http_process_connection: a "close" anywhere in the value closes, else a "keep-alive" keeps; the last line decides.
        var keepAlive = http11;
        foreach (var value in request.Http.Request.Headers.Connection)
        {
            if (value is null)
            {
                continue;
            }

            if (value.Contains(Close, StringComparison.OrdinalIgnoreCase))
            {
                keepAlive = false;
            }
            else if (value.Contains(KeepAlive, StringComparison.OrdinalIgnoreCase))
            {
                keepAlive = true;
            }
        }

        // ngx_http_update_location_config, with the location that answers: keepalive_timeout 0, or the connection's
        // last request under keepalive_requests.
        if (!keepAlive || request.Location is not { } location || location.Core.KeepaliveTimeout <= TimeSpan.Zero
            || (request.Connection is { } connection && connection.Requests >= location.Core.KeepaliveRequests))
        {
            return false;
        }

        // HTTP/1.0 cannot frame a body of unknown length but by closing (nginx's chunked filter drops keepalive).
        var response = request.Http.Response;
        return http11
            || response.ContentLength is not null
            || HttpMethods.IsHead(request.Http.Request.Method)
            || response.StatusCode is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified;
    }
}
