using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Sluice.Http.Runtime;

/// <summary>
/// nginx's lingering close (<c>lingering_close</c>, <c>lingering_time</c>, <c>lingering_timeout</c>): when a
/// connection is closed after a response while the client may still be sending — an error such as 413 answered
/// before the body was read — closing at once would make the kernel reset the connection over the unread bytes,
/// and the client would likely lose the response. So the response is completed, the client is sent the end of
/// the stream, and what it still sends is read and dropped until it stops, for up to lingering_time, each read
/// within lingering_timeout.
/// </summary>
internal static class LingeringCloser
{
    /// <summary>Whether this request's connection closes with the client perhaps still sending (cheap: asked for every request).</summary>
    public static bool Needed(RequestContext request)
    {
        if (request.Location is not { } location || location.Core.Lingering.Mode == LingeringMode.Off)
        {
            return false;
        }

        // The body first: most requests have none, and that is known without looking at any header.
        var http = request.Http;
        var body = http.Request;
        return (location.Core.Lingering.Mode == LingeringMode.Always
                || body.ContentLength > 0
                || (body.ContentLength is null && body.Headers.ContainsKey("Transfer-Encoding")))
            && Closes(http);
    }

    /// <summary>Reads and drops what the client still sends, after completing the response; never throws.</summary>
    public static async Task LingerAsync(RequestContext request)
    {
        var http = request.Http;
        var lingering = request.Location.Core.Lingering;
        try
        {
            await http.Response.CompleteAsync().ConfigureAwait(false);
            ShutdownSend(request);
            var reader = http.Request.BodyReader;
            var deadline = Environment.TickCount64 + (long)lingering.Time.TotalMilliseconds;
            using var timeout = new CancellationTokenSource();
            while (deadline - Environment.TickCount64 is var left and > 0)
            {
                timeout.CancelAfter(TimeSpan.FromMilliseconds(Math.Min(left, lingering.Timeout.TotalMilliseconds)));
                var result = await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException or InvalidOperationException)
        {
            // The client stopped sending, went away, or sent a broken body: the connection closes now.
        }
    }

    private static bool Closes(HttpContext http) =>
        http.Response.Headers.Connection is { Count: > 0 } response && response.ToString().Contains("close", StringComparison.OrdinalIgnoreCase)
        || (http.Request.Headers.Connection is { Count: > 0 } asked && asked.ToString().Contains("close", StringComparison.OrdinalIgnoreCase));

    /// <summary>The client reads the end of the response's stream (nginx's shutdown(SHUT_WR)) while it may still send.</summary>
    private static void ShutdownSend(RequestContext request)
    {
        try
        {
            request.Connection?.Context?.Features.Get<IConnectionSocketFeature>()?.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
        }
    }
}
