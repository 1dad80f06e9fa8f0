using System.Globalization;
using Microsoft.AspNetCore.Http;
using StreamApp.Hosting;

namespace StreamApp.Api;

public sealed record SlowResponse(int SleptMs, string Instance);

public sealed record StatusResponse(int Status, string Instance);

public sealed record RootResponse(string Service, string Instance, string Version, string Store);

/// <summary>
/// Endpoints a balancer's tests drive: <c>/api/slow?ms=</c> (proxy timeouts), <c>/api/status?code=</c>
/// (proxy_next_upstream failover), and <c>/</c>, which says who answered.
/// </summary>
internal sealed class TestingEndpoints(InstanceInfo instance, TimeProvider time)
{
    public const int MaxSlowMilliseconds = 600_000;

    public Task RootAsync(HttpContext context) =>
        context.Response.WriteAsJsonAsync(new RootResponse("streamapp", instance.Id, InstanceInfo.Version, instance.Store), StreamAppJson.Default.RootResponse);

    public async Task SlowAsync(HttpContext context)
    {
        var text = context.Request.Query["ms"].ToString();
        var ms = 1000;
        if (text.Length > 0 && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ms) || ms > MaxSlowMilliseconds))
        {
            await ErrorAsync(context, $"ms must be a whole number from 0 to {MaxSlowMilliseconds}");
            return;
        }

        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(ms), time, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return; // the client (or the proxy's timeout) gave up: nobody to answer
        }

        await context.Response.WriteAsJsonAsync(new SlowResponse(ms, instance.Id), StreamAppJson.Default.SlowResponse);
    }

    public Task StatusAsync(HttpContext context)
    {
        var text = context.Request.Query["code"].ToString();
        var code = StatusCodes.Status200OK;
        if (text.Length > 0 && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out code) || code < 200 || code > 599))
        {
            return ErrorAsync(context, "code must be a status from 200 to 599");
        }

        context.Response.StatusCode = code;
        return code is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified
            ? Task.CompletedTask
            : context.Response.WriteAsJsonAsync(new StatusResponse(code, instance.Id), StreamAppJson.Default.StatusResponse);
    }

    private Task ErrorAsync(HttpContext context, string error)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(error, instance.Id), StreamAppJson.Default.ErrorResponse);
    }
}
