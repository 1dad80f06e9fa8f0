using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>
/// A real HTTP backend on loopback that says who it is: every response carries <c>X-Backend: name</c> and a
/// JSON body with the backend's name and what it received (method, URI, headers, body). Special paths
/// change its behaviour (<c>/status/NNN</c>, <c>/slow/MS</c>, <c>/stream/N</c>, any path with <c>/hold/</c> until
/// <see cref="ReleaseHeld"/>), and <c>?reply=Name:Value</c> adds a response header. Counts accepted connections and requests.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly object _holdLock = new();
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connections;
    private int _closedConnections;
    private int _requests;
    private int _held;

    private TestBackend(string name, WebApplication app, int port)
    {
        Name = name;
        _app = app;
        Port = port;
    }

    public string Name { get; }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Connections that have ended (closed by either side).</summary>
    public int ClosedConnections => Volatile.Read(ref _closedConnections);

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests to <c>/hold/…</c> waiting for <see cref="ReleaseHeld"/>.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Body bytes the <c>/bytes/N</c> handler has written so far (it can write only as fast as the proxy takes them).</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    private long _bytesWritten;

    /// <summary><c>/bytes/N</c>: N bytes of body in 64 KiB writes, flushed as they go.</summary>
    private async Task WriteBytesAsync(HttpContext context, long total)
    {
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = total;
        var block = new byte[65536];
        for (long sent = 0; sent < total;)
        {
            var size = (int)Math.Min(block.Length, total - sent);
            await context.Response.Body.WriteAsync(block.AsMemory(0, size), context.RequestAborted);
            sent += size;
            Interlocked.Add(ref _bytesWritten, size);
        }
    }

    /// <summary><c>/ws</c>: a WebSocket that sends every message back as it came.</summary>
    private static async Task EchoAsync(System.Net.WebSockets.WebSocket socket, CancellationToken aborted)
    {
        var buffer = new byte[1 << 17];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, aborted);
                if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, aborted);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, aborted);
            }
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or OperationCanceledException)
        {
        }
    }

    /// <summary>Lets every held request answer.</summary>
    public void ReleaseHeld()
    {
        lock (_holdLock)
        {
            _release.TrySetResult();
            _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private Task HoldAsync(CancellationToken aborted)
    {
        lock (_holdLock)
        {
            return _release.Task.WaitAsync(aborted);
        }
    }

    /// <param name="keepAliveTimeout">How long the backend keeps an idle client connection (Kestrel's default: 130 s).</param>
    public static async Task<TestBackend> StartAsync(string name, int port = 0, TimeSpan? keepAliveTimeout = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        TestBackend? self = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            if (keepAliveTimeout is { } idle)
            {
                k.Limits.KeepAliveTimeout = idle;
            }

            k.Listen(IPAddress.Loopback, port, listen => listen.Use(next => async connection =>
            {
                Interlocked.Increment(ref self!._connections);
                try
                {
                    await next(connection);
                }
                finally
                {
                    Interlocked.Increment(ref self._closedConnections);
                }
            }));
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.Run(async context =>
        {
            Interlocked.Increment(ref self!._requests);
            if (context.Request.Path.Value?.Contains("/hold/", StringComparison.Ordinal) == true)
            {
                Interlocked.Increment(ref self._held);
                try
                {
                    await self.HoldAsync(context.RequestAborted);
                }
                finally
                {
                    Interlocked.Decrement(ref self._held);
                }
            }

            if (context.WebSockets.IsWebSocketRequest && context.Request.Path.StartsWithSegments("/ws"))
            {
                await EchoAsync(await context.WebSockets.AcceptWebSocketAsync(), context.RequestAborted);
                return;
            }

            if (context.Request.Path.StartsWithSegments("/bytes", out var rest) && long.TryParse(rest.Value?.Trim('/'), out var total))
            {
                await self.WriteBytesAsync(context, total);
                return;
            }

            await HandleAsync(name, context);
        });
        await app.StartAsync();
        var bound = new Uri(app.Urls.First()).Port;
        self = new TestBackend(name, app, bound);
        return self;
    }

    private static async Task HandleAsync(string name, HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers["X-Backend"] = name;

        // "?reply=Name:Value" (repeatable): the backend answers with that header too (Server, Date, X-Pad …).
        foreach (var reply in request.Query["reply"])
        {
            var colon = reply?.IndexOf(':', StringComparison.Ordinal) ?? -1;
            if (colon > 0)
            {
                response.Headers[reply![..colon]] = reply[(colon + 1)..];
            }
        }

        var path = request.Path.Value ?? "/";
        if (path.StartsWith("/status/", StringComparison.Ordinal) && int.TryParse(path[8..], out var status))
        {
            response.StatusCode = status;
        }

        if (request.Query[name] is { Count: > 0 } orders)
        {
            await FollowOrdersAsync(context, orders.ToString());
        }

        if (path.StartsWith("/slow/", StringComparison.Ordinal) && int.TryParse(path[6..], out var ms))
        {
            await Task.Delay(ms, context.RequestAborted);
        }

        if (path.StartsWith("/stream/", StringComparison.Ordinal) && int.TryParse(path[8..], out var events))
        {
            // An SSE stream: one event every "interval" ms (default 100), flushed as it is written.
            var interval = int.TryParse(request.Query["interval"], out var every) ? every : 100;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            for (var i = 0; i < events; i++)
            {
                await response.WriteAsync($"id: {i}\ndata: {name} event {i}\n\n", context.RequestAborted);
                await response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(interval, context.RequestAborted);
            }

            return;
        }

        if (path.StartsWith("/redirect", StringComparison.Ordinal))
        {
            response.StatusCode = 302;
            response.Headers.Location = $"http://{request.Host}{path}/target";
        }

        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var payload = new
        {
            backend = name,
            method = request.Method,
            uri = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget,
            protocol = request.Protocol,
            headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
            body,
        };
        response.ContentType = "application/json";
        await response.WriteAsync(JsonSerializer.Serialize(payload));
    }

    /// <summary>
    /// <c>?b2=wait1200,502</c>: what the backend named b2 does with this request, so that one request finds
    /// the peers of a group behaving differently — a status to answer, <c>waitN</c> milliseconds to wait first,
    /// <c>big</c> for a 16 KiB header (larger than any proxy_buffer_size default: "upstream sent too big header").
    /// </summary>
    private static async Task FollowOrdersAsync(HttpContext context, string orders)
    {
        foreach (var order in orders.Split(','))
        {
            if (int.TryParse(order, out var status))
            {
                context.Response.StatusCode = status;
            }
            else if (order.StartsWith("wait", StringComparison.Ordinal) && int.TryParse(order[4..], out var wait))
            {
                await Task.Delay(wait, context.RequestAborted);
            }
            else if (order == "big")
            {
                context.Response.Headers["X-Big"] = new string('x', 16384);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>What a backend reported about the request it received.</summary>
public sealed record BackendEcho(string Backend, string Method, string Uri, string Protocol, Dictionary<string, string> Headers, string Body)
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true };

    public static BackendEcho? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<BackendEcho>(json, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
