using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace StreamApp.Metrics;

/// <summary>
/// Counts and times every request. The path label is the matched route template (<c>/api/lookup</c>, never the
/// query string or a client-chosen path), so a scanner hitting random URLs adds one <c>unmatched</c> series, not one
/// series per URL.
/// </summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, AppMetrics metrics, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = time.GetTimestamp();
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            await next(context);
            status = context.Response.StatusCode;
        }
        finally
        {
            var path = context.GetEndpoint() is RouteEndpoint route ? route.RoutePattern.RawText ?? "unmatched" : "unmatched";
            metrics.RequestCompleted(MethodLabel(context.Request.Method), path, status, time.GetElapsedTime(started).TotalSeconds);
        }
    }

    // Kestrel accepts any token as a method; only the standard ones become label values.
    private static string MethodLabel(string method) =>
        HttpMethods.IsGet(method) ? HttpMethods.Get
        : HttpMethods.IsPost(method) ? HttpMethods.Post
        : HttpMethods.IsHead(method) ? HttpMethods.Head
        : HttpMethods.IsPut(method) ? HttpMethods.Put
        : HttpMethods.IsDelete(method) ? HttpMethods.Delete
        : HttpMethods.IsOptions(method) ? HttpMethods.Options
        : HttpMethods.IsPatch(method) ? HttpMethods.Patch
        : "OTHER";
}
