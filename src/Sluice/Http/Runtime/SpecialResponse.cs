using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Hosting;

namespace Sluice.Http.Runtime;

/// <summary>
/// nginx's special responses (<c>ngx_http_special_response_handler</c>): the built-in HTML page for an
/// error or redirect status, with the server-token tail and, for MSIE and Chrome, the padding that stops
/// "friendly" error pages; <c>error_page</c> lookups are done by the request processor before this.
/// </summary>
public static class SpecialResponse
{
    private const string Padding =
        "<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
        "<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
        "<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n";

    /// <summary>The page body for a status, or "" when nginx sends none (201, 204, unknown codes).</summary>
    public static string Page(int status, string serverTokens, bool padding)
    {
        if (StatusText.PageTitle(status) is not { } title)
        {
            return "";
        }

        var tail = serverTokens == "off" ? "sluice" : ProductInfo.NameAndVersion;
        var sb = new StringBuilder(256);
        if (status is >= 494 and <= 497)
        {
            // nginx's private codes: a 400 page that names the reason on a line of its own.
            sb.Append("<html>\r\n<head><title>").Append(title).Append("</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n");
            sb.Append("<center>").Append(title.AsSpan(4)).Append("</center>\r\n");
        }
        else
        {
            sb.Append("<html>\r\n<head><title>").Append(title).Append("</title></head>\r\n<body>\r\n<center><h1>").Append(title).Append("</h1></center>\r\n");
        }

        sb.Append("<hr><center>").Append(tail).Append("</center>\r\n</body>\r\n</html>\r\n");
        if (padding && status >= 400)
        {
            sb.Append(Padding);
        }

        return sb.ToString();
    }

    /// <summary>Sends the built-in response for <paramref name="status"/> (headers already set by the caller stay, except body-related ones).</summary>
    public static async Task SendAsync(RequestContext request, int status)
    {
        var response = request.Http.Response;
        if (response.HasStarted)
        {
            return;
        }

        var core = request.Location.Core;
        SetStatus(request, status);
        response.Headers.ContentType = default;
        response.Headers.AcceptRanges = default;
        response.Headers.LastModified = default;
        response.Headers.ETag = default;
        DropKeepalive(request, status);

        var body = Page(status, core.ServerTokens, core.MsiePadding && IsMsieOrChrome(request.Http.Request));
        response.ContentLength = Encoding.ASCII.GetByteCount(body);
        if (body.Length > 0)
        {
            response.ContentType = "text/html";
        }

        if (HttpMethods.IsHead(request.Http.Request.Method) || body.Length == 0)
        {
            await response.StartAsync().ConfigureAwait(false);
            return;
        }

        await response.Body.WriteAsync(Encoding.ASCII.GetBytes(body)).ConfigureAwait(false);
        request.BodyBytesSent += body.Length;
    }

    /// <summary>
    /// nginx's special response handler ends keepalive for these errors before it looks for an error_page, so the
    /// connection closes after the answer whatever page it is.
    /// </summary>
    public static void DropKeepalive(RequestContext request, int status)
    {
        if (status is 400 or 413 or 414 or 494 or 495 or 496 or 497 or 500 or 501)
        {
            request.Http.Response.Headers.Connection = "close";
        }
    }

    /// <summary>Sets the status and nginx's reason phrase on the status line.</summary>
    public static void SetStatus(RequestContext request, int status)
    {
        if (request.ErrorStatus != 0)
        {
            status = request.ErrorStatus;
        }

        var wire = StatusText.WireStatus(status);

        // nginx logs its private 494-497 as the 400 they are sent as.
        request.Status = wire;
        request.Http.Response.StatusCode = wire;
        if (request.Http.Features.Get<IHttpResponseFeature>() is { } feature)
        {
            var reason = StatusText.ReasonPhrase(wire);
            if (reason.Length > 0)
            {
                feature.ReasonPhrase = reason;
            }
        }
    }

    /// <summary>A redirect with a Location header, made absolute as nginx does when <c>absolute_redirect</c> is on.</summary>
    public static Task RedirectAsync(RequestContext request, int status, string location)
    {
        request.Http.Response.Headers.Location = location;
        return SendAsync(request, status);
    }

    /// <summary>nginx's header filter: a Location starting with '/' gets scheme, host and (non-default) port.</summary>
    public static string AbsoluteLocation(RequestContext request, string location)
    {
        var core = request.Location.Core;
        if (!core.AbsoluteRedirect || location.Length == 0 || location[0] != '/')
        {
            return location;
        }

        var http = request.Http.Request;
        var host = core.ServerNameInRedirect ? request.Server.PrimaryName : request.HostHeader ?? request.Server.PrimaryName;
        if (host.Length == 0)
        {
            host = Variables.CoreVariables.AddressText(request.Connection?.Local?.Address ?? request.Http.Connection.LocalIpAddress) ?? "localhost";
        }

        var port = request.Connection?.Local?.Port ?? request.Http.Connection.LocalPort;
        var defaultPort = http.IsHttps ? 443 : 80;
        var portText = core.PortInRedirect && port != defaultPort ? ":" + port.ToString(CultureInfo.InvariantCulture) : "";
        return $"{http.Scheme}://{host}{portText}{location}";
    }

    /// <summary>nginx's user-agent sniffing for the error page padding.</summary>
    public static bool IsMsieOrChrome(HttpRequest request)
    {
        var agent = request.Headers.UserAgent.ToString();
        return agent.Contains("MSIE ", StringComparison.Ordinal) || agent.Contains("Chrome/", StringComparison.Ordinal);
    }
}
