using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace SseBench;

/// <summary>
/// The SSE backend: Kestrel on 127.0.0.1, one or more ports (the proxies' three upstream servers). Each GET /stream (or /sse)
/// is a stream that sends one event per interval, the first at once:
/// <c>id: SEQ\ndata: SEQ SENDTICKS PADDING\n\n</c>, SENDTICKS being <see cref="Stopwatch.GetTimestamp"/> just
/// before the write. Sends are scheduled on a fixed grid per stream (no drift), so a slow consumer shows as
/// latency, not as fewer events.
/// </summary>
internal static class SseServer
{
    public static async Task RunAsync(ServerOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = "SseBench",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = null;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(10);
            foreach (var port in options.Ports)
            {
                kestrel.Listen(IPAddress.Loopback, port);
            }
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));

        await using var app = builder.Build();
        var padding = new string('x', options.Padding);
        app.MapGet("/sse", (HttpContext context) => StreamAsync(context, options.Interval, padding));
        app.MapGet("/stream", (HttpContext context) => StreamAsync(context, options.Interval, padding));
        app.MapGet("/", () => "SseBench backend: GET /stream\n");
        await app.StartAsync().ConfigureAwait(false);
        Console.Out.WriteLine("LISTENING " + string.Join(' ', options.Ports));
        Console.Out.Flush();
        await app.WaitForShutdownAsync().ConfigureAwait(false);
    }

    private static async Task StreamAsync(HttpContext context, TimeSpan interval, string padding)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var aborted = context.RequestAborted;
        var writer = response.BodyWriter;
        var intervalTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        var next = Stopwatch.GetTimestamp();
        try
        {
            await response.StartAsync(aborted).ConfigureAwait(false);
            for (long seq = 0; !aborted.IsCancellationRequested; seq++)
            {
                var now = Stopwatch.GetTimestamp();
                var line = string.Create(CultureInfo.InvariantCulture, $"id: {seq}\ndata: {seq} {now} {padding}\n\n");
                var span = writer.GetSpan(Encoding.ASCII.GetMaxByteCount(line.Length));
                writer.Advance(Encoding.ASCII.GetBytes(line, span));
                var flush = await writer.FlushAsync(aborted).ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return;
                }

                next += intervalTicks;
                var wait = next - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), aborted).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client (or the proxy) went away.
        }
        catch (IOException)
        {
            // Connection reset while writing.
        }
    }
}
