using System.Globalization;
using Sluice.Http.Runtime;
using Sluice.Variables;

namespace Sluice.Proxy.Runtime;

/// <summary>The proxy and upstream variables: <c>$proxy_host</c>, <c>$proxy_add_x_forwarded_for</c>, <c>$upstream_*</c>.</summary>
public static class UpstreamVariables
{
    public static VariableGetter? Resolve(string name) => name switch
    {
        "proxy_host" => r => r.Upstream?.ProxyHost,
        "proxy_port" => r => r.Upstream?.ProxyPort,
        "proxy_add_x_forwarded_for" => r => ForwardedFor(r),
        "upstream_addr" => r => r.Upstream?.Render(a => a.Address),
        "upstream_status" => r => r.Upstream?.Render(a => a.Status == 0 ? "-" : a.Status.ToString(CultureInfo.InvariantCulture)),
        "upstream_connect_time" => r => r.Upstream?.Render(a => UpstreamState.Seconds(a.ConnectTime)),
        "upstream_header_time" => r => r.Upstream?.Render(a => UpstreamState.Seconds(a.HeaderTime)),
        "upstream_response_time" => r => r.Upstream?.Render(a => UpstreamState.Seconds(a.ResponseTime)),
        "upstream_response_length" => r => r.Upstream?.Render(a => a.ResponseLength.ToString(CultureInfo.InvariantCulture)),
        "upstream_bytes_received" => r => r.Upstream?.Render(a => a.BytesReceived.ToString(CultureInfo.InvariantCulture)),
        "upstream_bytes_sent" => r => r.Upstream?.Render(a => a.BytesSent.ToString(CultureInfo.InvariantCulture)),
        _ when name.StartsWith("upstream_http_", StringComparison.Ordinal) => UpstreamHeader(name[14..].Replace('_', '-')),
        _ => null,
    };

    /// <summary>The client's X-Forwarded-For with the client address appended, or just the address.</summary>
    private static string? ForwardedFor(RequestContext request)
    {
        var address = CoreVariables.AddressText(request.Connection?.Remote?.Address ?? request.Http.Connection.RemoteIpAddress);
        var headers = request.Http.Request.Headers["X-Forwarded-For"];
        return headers.Count == 0 ? address : $"{string.Join(", ", headers.ToArray())}, {address}";
    }

    private static VariableGetter UpstreamHeader(string header) => r => r.Upstream?.ResponseHead?[header];
}
