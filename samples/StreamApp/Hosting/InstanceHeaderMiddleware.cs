using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace StreamApp.Hosting;

/// <summary>
/// Stamps <c>X-Instance-Id</c> on every response — the way a test or an operator behind the balancer sees which
/// instance answered — and turns an unhandled exception into a JSON 500 that still carries it.
/// </summary>
internal sealed partial class InstanceHeaderMiddleware(RequestDelegate next, InstanceInfo instance, ILogger<InstanceHeaderMiddleware> logger)
{
    public const string HeaderName = "X-Instance-Id";

    public async Task InvokeAsync(HttpContext context)
    {
        context.Response.Headers[HeaderName] = instance.Id;
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            LogUnhandled(logger, context.Request.Path.Value ?? "/", e);
            context.Response.Clear();
            context.Response.Headers[HeaderName] = instance.Id;
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsJsonAsync(new ErrorResponse("internal error", instance.Id), StreamAppJson.Default.ErrorResponse);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error serving {Path}")]
    private static partial void LogUnhandled(ILogger logger, string path, Exception exception);
}
