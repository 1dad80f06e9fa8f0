using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Abstractions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Sluice.Core;
using Sluice.Hosting;

namespace Sluice.Http.Runtime;

/// <summary>Gives listeners the generation to serve with; swapped atomically by a reload.</summary>
public interface IRuntimeSource
{
    HttpRuntime? Current { get; }
}

/// <summary>
/// The Kestrel application behind one listening socket. Each request takes the generation current when
/// it starts and finishes on it, whatever reloads happen meanwhile.
/// </summary>
public sealed class SluiceApplication : IHttpApplication<RequestContext>
{
    private readonly string _socketKey;
    private readonly IRuntimeSource _source;
    private Binding? _binding;

    public SluiceApplication(string socketKey, IRuntimeSource source)
    {
        _socketKey = socketKey;
        _source = source;
    }

    public RequestContext CreateContext(IFeatureCollection contextFeatures)
    {
        var runtime = _source.Current ?? throw new InvalidOperationException("no configuration is loaded");
        var connection = contextFeatures.Get<IConnectionItemsFeature>()?.Items.TryGetValue(typeof(ConnectionState), out var state) == true ? state as ConnectionState : null;
        if (connection is not null)
        {
            connection.Requests++;
        }

        runtime.Counters.RequestStarted(connection);

        // Kestrel keeps one context per connection for us (as ASP.NET Core's hosting layer does with its own):
        // the request state and the HttpContext are reset and reused, not allocated per request.
        RequestContext request;
        if (contextFeatures is IHostContextContainer<RequestContext> container)
        {
            request = container.HostContext ??= new RequestContext();
        }
        else
        {
            request = new RequestContext();
        }

        DefaultHttpContext http;
        if (request.ReusableHttp is { } reusable)
        {
            reusable.Initialize(contextFeatures);
            http = reusable;
        }
        else
        {
            http = new DefaultHttpContext(contextFeatures);
            request.ReusableHttp = http;
        }

        request.Start(http, runtime, connection, contextFeatures.Get<IHttpRequestFeature>()?.RawTarget ?? "/");
        return request;
    }

    public Task ProcessRequestAsync(RequestContext context)
    {
        var socket = SocketFor(context.Runtime);
        if (socket is null)
        {
            // The configuration no longer has this socket; the listener is being closed.
            context.Http.Response.StatusCode = 503;
            return Task.CompletedTask;
        }

        context.Http.Response.OnStarting(static state => ApplyHeaderFilter((RequestContext)state), context);
        ValueTask pending;
        try
        {
            pending = RequestProcessor.ProcessAsync(context, socket);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return FailAsync(context, e);
        }

        // Only a request that has to wait (proxying, files) pays for an async frame here.
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAsync(context, pending);
        }

        NoteHandlerEnd(context);
        return LingeringCloser.Needed(context) ? LingeringCloser.LingerAsync(context) : Task.CompletedTask;
    }

    private static async Task AwaitAsync(RequestContext context, ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
            NoteHandlerEnd(context);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await FailAsync(context, e).ConfigureAwait(false);
        }

        if (LingeringCloser.Needed(context))
        {
            await LingeringCloser.LingerAsync(context).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The handler wrote its whole response: whether the client had gone by then is what <c>$request_completion</c>
    /// says. Read here, not when the request is logged: a client that closes as soon as it has the last byte must
    /// not turn a complete response into an incomplete one.
    /// </summary>
    private static void NoteHandlerEnd(RequestContext context) =>
        context.HandlerCompleted = !context.Http.RequestAborted.IsCancellationRequested || WholeBodySent(context);

    /// <summary>
    /// Every byte the response declared went out: the client may already have closed (a <c>Connection: close</c>
    /// client closes as soon as it has them, and its close can be seen on another event loop thread before this one
    /// finishes), but the request did complete.
    /// </summary>
    private static bool WholeBodySent(RequestContext context)
    {
        var response = context.Http.Response;
        return response.HasStarted && response.ContentLength is { } length
            && (context.BodyBytesSent >= length || HttpMethods.IsHead(context.Http.Request.Method));
    }

    /// <summary>A bug of ours, not the client's: logged, and a 500 when nothing was sent yet.</summary>
    private static Task FailAsync(RequestContext context, Exception e)
    {
        context.ErrorLog.Write(LogLevel.Error, $"{e.GetType().Name}: {e.Message} while processing \"{context.RawTarget}\"");
        return context.Http.Response.HasStarted ? Task.CompletedTask : SpecialResponse.SendAsync(context, 500);
    }

    public void DisposeContext(RequestContext context, Exception? exception)
    {
        if (context.Status == 0)
        {
            context.Status = context.Http.Response.StatusCode;
        }

        context.Runtime.Counters.RequestFinished(context.Connection);
        context.Finished = true;
        context.Runtime.RequestCompleted?.Invoke(context);
        context.ReusableHttp?.Uninitialize();
    }

    /// <summary>
    /// nginx's header filter, the last word on response headers: Server (unless proxy_pass_header let the upstream's
    /// through), Connection, and no Last-Modified except on 200, 206, 304.
    /// </summary>
    private static Task ApplyHeaderFilter(RequestContext request)
    {
        var response = request.Http.Response;

        // Only the proxy puts a Server header in before this point, and only when proxy_pass_header Server allows it.
        var upstreamServer = response.Headers.Server.Count > 0;
        if (request.Location is { } location)
        {
            foreach (var filter in location.HeaderFilters)
            {
                filter.Apply(request);
            }
        }

        if (!upstreamServer)
        {
            var tokens = request.Location?.Core.ServerTokens ?? "on";
            var own = tokens == "off" ? ProductInfo.Name : ProductInfo.NameAndVersion;

            // An add_header Server is sent as well, after nginx's own line.
            var added = response.Headers.Server;
            response.Headers.Server = added.Count == 0 ? own : StringValues.Concat(own, added);
        }

        ConnectionHeader.Apply(request);
        if (response.StatusCode is not (200 or 206 or 304))
        {
            response.Headers.LastModified = default;
        }

        // A relative Location (ours or an upstream's) gets scheme, host and port, as nginx's header filter does.
        var locationHeader = response.Headers.Location;
        if (locationHeader.Count == 1 && locationHeader[0] is { Length: > 0 } value && value[0] == '/' && request.Location is not null)
        {
            response.Headers.Location = SpecialResponse.AbsoluteLocation(request, value);
        }

        return Task.CompletedTask;
    }

    /// <summary>This listener's socket in a generation, cached per generation so the lookup runs once per reload.</summary>
    private SocketRuntime? SocketFor(HttpRuntime runtime)
    {
        var binding = Volatile.Read(ref _binding);
        if (binding is not null && ReferenceEquals(binding.Runtime, runtime))
        {
            return binding.Socket;
        }

        var socket = runtime.Socket(_socketKey);
        Volatile.Write(ref _binding, new Binding(runtime, socket));
        return socket;
    }

    private sealed record Binding(HttpRuntime Runtime, SocketRuntime? Socket);
}
