using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StreamApp.Api;
using StreamApp.Hosting;
using StreamApp.Metrics;
using StreamApp.Store;

namespace StreamApp.Streaming;

/// <summary>
/// <c>GET /stream[?channel=events][&amp;heartbeat=seconds][&amp;lastEventId=id]</c>: a Server-Sent Events stream of one
/// channel. Resumes after the <c>Last-Event-ID</c> header (or <c>lastEventId</c>, for clients that cannot set
/// headers), sends a heartbeat comment on a fixed schedule, and flushes every frame, so nothing sits in a buffer
/// between the event and the client.
/// </summary>
internal sealed partial class SseEndpoint(
    EventFeed feed,
    InstanceInfo instance,
    AppMetrics metrics,
    StreamAppOptions options,
    IHostApplicationLifetime lifetime,
    ILogger<SseEndpoint> logger)
{
    /// <summary>How long EventSource waits before reconnecting after the stream ends.</summary>
    public const int RetryMilliseconds = 2000;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var channel = request.Query["channel"].ToString() is { Length: > 0 } named ? named : Names.DefaultChannel;
        if (!Names.IsValid(channel))
        {
            await BadRequestAsync(context, $"channel must be 1-{Names.MaxLength} letters, digits, '_', '-', '.' or ':'");
            return;
        }

        var heartbeat = options.Heartbeat;
        if (request.Query["heartbeat"].ToString() is { Length: > 0 } every)
        {
            if (!double.TryParse(every, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) || seconds < 0.05 || seconds > 3600)
            {
                await BadRequestAsync(context, "heartbeat must be a number of seconds from 0.05 to 3600");
                return;
            }

            heartbeat = TimeSpan.FromSeconds(seconds);
        }

        StreamId? resumeAfter = null;
        var lastEventId = request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } header ? header : request.Query["lastEventId"].ToString();
        if (lastEventId.Length > 0)
        {
            if (!StreamId.TryParse(lastEventId.Trim(), out var parsed))
            {
                await BadRequestAsync(context, "Last-Event-ID must be an id this service sent (milliseconds-sequence)");
                return;
            }

            resumeAfter = parsed;
        }

        // A stream ends when the client leaves or the instance stops: graceful shutdown must not wait for clients
        // that would happily stay for hours. They reconnect (through the balancer) with Last-Event-ID.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var cancellationToken = ending.Token;

        FeedSession session;
        try
        {
            session = await feed.OpenAsync(channel, resumeAfter, cancellationToken);
        }
        catch (EventStoreUnavailableException e)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsJsonAsync(new ErrorResponse(e.Message, instance.Id), StreamAppJson.Default.ErrorResponse, cancellationToken: CancellationToken.None);
            return;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        using (session)
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";

            // nginx (and Sluice) read this from the upstream response and stop buffering it.
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            metrics.StreamOpened();
            try
            {
                await StreamAsync(response, session, heartbeat, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The client went away or the instance is stopping: the normal end of a stream.
            }
            catch (IOException)
            {
                // The connection broke mid-write: the same, noticed a moment later.
            }
            catch (EventStoreUnavailableException e)
            {
                LogStreamEnded(logger, channel, e.Message);
            }
            catch (SubscriberOverflowException e)
            {
                LogStreamEnded(logger, channel, e.Message);
            }
            finally
            {
                metrics.StreamClosed();
            }
        }
    }

    private async Task StreamAsync(HttpResponse response, FeedSession session, TimeSpan heartbeat, CancellationToken cancellationToken)
    {
        using var sse = new SseWriter(response.BodyWriter, instance.Id);
        sse.WriteRetry(RetryMilliseconds);
        sse.WriteComment($"connected to {instance.Id}, channel {session.Channel}");
        if (!await sse.FlushAsync(cancellationToken))
        {
            return;
        }

        var time = options.TimeProvider;
        using var loop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var events = session.ReadAsync(loop.Token).GetAsyncEnumerator(loop.Token);
        Task<bool>? next = null;
        Task? beat = null;
        var nextBeat = time.GetUtcNow() + heartbeat;
        try
        {
            while (true)
            {
                // One MoveNextAsync stays pending across heartbeats: an async iterator allows only one at a time.
                next ??= events.MoveNextAsync().AsTask();
                var now = time.GetUtcNow();
                if (!next.IsCompleted && nextBeat > now)
                {
                    beat ??= Task.Delay(nextBeat - now, time, loop.Token);
                    await Task.WhenAny(next, beat);
                }

                if (next.IsCompleted)
                {
                    if (!await next)
                    {
                        return; // the store ended the subscription (it is shutting down)
                    }

                    next = null;
                    sse.WriteEvent(events.Current);
                    metrics.EventDelivered();
                    if (!await sse.FlushAsync(cancellationToken))
                    {
                        return;
                    }

                    continue;
                }

                // Heartbeats keep a fixed schedule whatever the event traffic, so an idle stream and a busy one look the
                // same to a proxy's read timeout.
                beat = null;
                now = time.GetUtcNow();
                sse.WriteComment("heartbeat " + now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                if (!await sse.FlushAsync(cancellationToken))
                {
                    return;
                }

                nextBeat = nextBeat + heartbeat > now ? nextBeat + heartbeat : now + heartbeat;
            }
        }
        finally
        {
            // The enumerator cannot be disposed while a MoveNextAsync is pending: cancel it and let it finish first.
            await loop.CancelAsync();
            if (next is not null)
            {
                try
                {
                    await next;
                }
                catch (Exception e) when (e is OperationCanceledException or EventStoreUnavailableException or SubscriberOverflowException)
                {
                }
            }
        }
    }

    private Task BadRequestAsync(HttpContext context, string error)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(error, instance.Id), StreamAppJson.Default.ErrorResponse);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SSE stream on channel {Channel} ended early: {Reason}")]
    private static partial void LogStreamEnded(ILogger logger, string channel, string reason);
}
