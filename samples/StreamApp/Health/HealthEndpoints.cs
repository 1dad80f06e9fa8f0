using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StreamApp.Hosting;
using StreamApp.Metrics;
using StreamApp.Store;

namespace StreamApp.Health;

/// <summary>
/// The guide's three health endpoints (sections 1.2 and 5.2): <c>/health/live</c> for a liveness probe (the process
/// answers), <c>/health/ready</c> for the balancer (200 only while every dependency answers, else 503, so the
/// instance leaves the rotation), and <c>/health/detailed</c> for dashboards (always 200, with the error text).
/// </summary>
internal static class HealthEndpoints
{
    /// <summary>Checks with this tag decide readiness.</summary>
    public const string ReadyTag = "ready";

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/health/live", LiveAsync);
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(ReadyTag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteReadyAsync,
        });
        endpoints.MapGet("/health/detailed", DetailedAsync);
    }

    /// <summary>What a component is, in the guide's words: healthy, unhealthy, degraded, or not configured.</summary>
    public static string StateOf(HealthReportEntry entry) => entry.Status switch
    {
        HealthStatus.Healthy when entry.Description == RedisHealthCheck.NotConfigured => RedisHealthCheck.NotConfigured,
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };

    private static Task LiveAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var instance = services.GetRequiredService<InstanceInfo>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(new LiveResponse("alive", instance.Id, now), StreamAppJson.Default.LiveResponse);
    }

    private static Task WriteReadyAsync(HttpContext context, HealthReport report)
    {
        var services = context.RequestServices;
        var instance = services.GetRequiredService<InstanceInfo>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var components = report.Entries.ToDictionary(e => e.Key, e => StateOf(e.Value), StringComparer.Ordinal);
        var ready = report.Status != HealthStatus.Unhealthy;
        var error = ready
            ? null
            : string.Join("; ", report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy).Select(e => $"{e.Key}: {e.Value.Description}"));
        return context.Response.WriteAsJsonAsync(
            new ReadyResponse(ready ? "ready" : "not_ready", instance.Id, components, error, now),
            StreamAppJson.Default.ReadyResponse);
    }

    private static async Task DetailedAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var instance = services.GetRequiredService<InstanceInfo>();
        var metrics = services.GetRequiredService<AppMetrics>();
        var time = services.GetRequiredService<TimeProvider>();
        var report = await services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(registration => registration.Tags.Contains(ReadyTag), context.RequestAborted);
        var now = time.GetUtcNow();
        var components = report.Entries.ToDictionary(
            e => e.Key,
            e => new ComponentReport(
                StateOf(e.Value),
                e.Value.Description,
                e.Value.Status == HealthStatus.Healthy ? null : e.Value.Exception is { } error ? RedisErrors.Describe(error) : e.Value.Description,
                Math.Round(e.Value.Duration.TotalMilliseconds, 3),
                e.Value.Data.Count == 0 ? null : e.Value.Data.ToDictionary(d => d.Key, d => Convert.ToString(d.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "", StringComparer.Ordinal)),
            StringComparer.Ordinal);

        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(
            new DetailedResponse(
                report.Status == HealthStatus.Unhealthy ? "unhealthy" : "healthy",
                instance.Id,
                InstanceInfo.Version,
                instance.Store,
                instance.StartedAt,
                Math.Round((now - instance.StartedAt).TotalSeconds, 3),
                now,
                components,
                new StreamsReport(metrics.OpenStreams),
                new RequestsReport(metrics.Requests, metrics.Errors),
                new EventsReport(metrics.Published, metrics.Delivered)),
            StreamAppJson.Default.DetailedResponse);
    }
}
