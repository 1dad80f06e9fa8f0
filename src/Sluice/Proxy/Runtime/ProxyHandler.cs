using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Sluice.Core;
using Sluice.Http.Runtime;
using Sluice.Proxy.Configuration;
using Sluice.Upstreams.Balancing;

namespace Sluice.Proxy.Runtime;

/// <summary>
/// nginx's proxy content handler: picks a peer with the group's balancer, runs an attempt on it (an
/// <see cref="UpstreamExchange"/>), and on an error or timeout — or a status proxy_next_upstream names —
/// tries the next peer while nothing has reached the client and the method allows it. The balancer is told
/// how every attempt ended, for passive health.
/// </summary>
internal sealed class ProxyHandler : PhaseHandler
{
    private readonly ProxyLocation _proxy;

    public ProxyHandler(ProxyLocation proxy) => _proxy = proxy;

    public override HttpPhase Phase => HttpPhase.Content;

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<PhaseOutcome> ExecuteAsync(RequestContext request)
    {
        var target = ResolveTarget(request);

        // nginx's proxy context exists from here on: $proxy_host and $proxy_port say where this request goes.
        var state = request.BeginUpstream();
        state.ProxyHost = target.ProxyHost;
        state.ProxyPort = target.ProxyPort;
        if (target.Upstream is null)
        {
            request.ErrorLog.Write(LogLevel.Error, (target.Error ?? "no upstream") + RequestLimits.Context(request));
            return PhaseOutcome.Finalize(target.ErrorStatus);
        }

        var http = request.Http;
        var maxBody = request.Location.Core.ClientMaxBodySize;

        var body = RequestBody.None;
        if (_proxy.PassRequestBody && HasBody(http.Request))
        {
            // Buffered (proxy_request_buffering on, or a chunked body HTTP/1.0 cannot frame): read before any
            // upstream is contacted, so that a retry can send it again.
            var chunked = http.Request.ContentLength is null;
            if (_proxy.RequestBuffering || (chunked && !_proxy.Http11))
            {
                var (buffered, failure) = await RequestBodyBuffer.ReadAsync(request, maxBody).ConfigureAwait(false);
                if (buffered is not { } read)
                {
                    // A client that went away or stopped sending gets no answer (nginx logs 499 or 408 and closes).
                    return failure is 408 or 499 ? PhaseOutcome.Done : PhaseOutcome.Finalize(failure);
                }

                body = read;
            }
            else
            {
                body = RequestBody.Streamed(http.Request.ContentLength ?? -1);
            }
        }

        var upstream = target.Upstream.Runtime;
        var uri = target.Uri!; // ResolveTarget sets it whenever there is a group
        var balancer = upstream.Balancer;
        var client = request.Connection?.Remote?.Address ?? http.Connection.RemoteIpAddress;
        var selection = state.Selection = balancer.Begin(new BalancerRequest(target.Upstream.HashKey?.Render(request), client), state.Selection);
        var exchange = state.Exchange ??= new UpstreamExchange();
        if (_proxy.NextUpstreamTries > 0 && selection.Tries > _proxy.NextUpstreamTries)
        {
            selection.Tries = (int)_proxy.NextUpstreamTries;
        }

        var firstAttempt = Stopwatch.GetTimestamp();
        var method = _proxy.Method?.Render(request) ?? http.Request.Method;
        var nonIdempotent = HttpMethods.IsPost(http.Request.Method) || HttpMethods.IsPatch(http.Request.Method) || http.Request.Method == "LOCK";

        // The peer of the attempt in progress, until it is released. Whatever ends the request — an exception
        // included — releases it, or its connection count would stay raised for good (least_conn, max_conns
        // and the metrics read it).
        UpstreamPeer? held = null;
        try
        {
            while (true)
            {
                var peer = balancer.Pick(selection);
                if (peer is null)
                {
                    // nginx's entry for it: the group's name, 502, and the time since this attempt began (none).
                    var none = state.Start(upstream.Name);
                    none.Status = 502;
                    none.ResponseTime = TimeSpan.Zero;
                    UpstreamExchange.LogError(request, LogLevel.Error, "no live upstreams while connecting to upstream", $"{target.Scheme}://{upstream.Name}{uri}");
                    return PhaseOutcome.Finalize(502);
                }

                held = peer;
                var attempt = state.Start(peer.Name);
                var result = await exchange.Reset(request, _proxy, upstream, peer, target.ProxyHost, target.Scheme, uri, method, body, attempt, state.Head).RunAsync().ConfigureAwait(false);
                if (result.Done || result.IsFinal)
                {
                    // The response went to the client, or the request ends here (client gone, body refused):
                    // nothing counts against the peer (nginx frees it with state 0). A buffered response to a
                    // slow client freed it already, when the upstream was done.
                    held = null;
                    if (!exchange.PeerFreed)
                    {
                        Release(balancer, selection, peer, attempt);
                    }

                    return result.Done || result.Status == 499 ? PhaseOutcome.Done : PhaseOutcome.Finalize(result.Status);
                }

                var rules = new NextUpstreamRequest(_proxy.NextUpstream, nonIdempotent, body.IsStreamed, _proxy.NextUpstreamTimeout, Stopwatch.GetElapsedTime(firstAttempt));
                bool next, failed, disabled;
                if (result.HasResponse)
                {
                    if (!NextUpstreamRules.TryNextAfterStatus(balancer, selection, peer, result.Failure, result.RequestSent, rules, out disabled))
                    {
                        // No other peer for this answer: it goes to the client, and the peer served (no failure).
                        await exchange.SendResponseAsync().ConfigureAwait(false);
                        held = null;
                        if (!exchange.PeerFreed)
                        {
                            Release(balancer, selection, peer, attempt);
                        }

                        return PhaseOutcome.Done;
                    }

                    held = null;
                    next = true;
                    failed = NextUpstreamRules.IsFailure(result.Failure);
                }
                else
                {
                    held = null;
                    next = NextUpstreamRules.TryNextAfterFailure(balancer, selection, peer, result.Failure, result.RequestSent, result.CachedConnection, rules, out disabled);
                    failed = true;
                }

                peer.Metrics?.Record(attempt.Status, failed, attempt.HeaderTime, attempt.ResponseTime);
                if (disabled)
                {
                    exchange.Log(LogLevel.Warn, "upstream server temporarily disabled");
                }

                // nginx's ngx_http_upstream_next frees the peer (and warns) before it logs a timeout.
                exchange.LogTimeout();

                exchange.Abandon();
                if (http.RequestAborted.IsCancellationRequested)
                {
                    // nginx looks at the client before it connects again or gives up: gone, it logs 499.
                    request.Status = 499;
                    return PhaseOutcome.Done;
                }

                if (!next)
                {
                    return PhaseOutcome.Finalize(result.Status);
                }
            }
        }
        finally
        {
            if (held is not null)
            {
                // An exception ended the attempt: its connection is closed and the peer released as nginx's
                // finalize releases it (state 0) — unless a buffered response freed it when the upstream was done.
                exchange.Abandon();
                if (!exchange.PeerFreed)
                {
                    balancer.Free(selection, held, failed: false);
                }
            }
        }
    }

    /// <summary>The attempt on <paramref name="peer"/> served the request: released as a success, and counted for the metrics.</summary>
    private static void Release(IUpstreamBalancer balancer, PeerSelection selection, UpstreamPeer peer, UpstreamState.Attempt attempt)
    {
        balancer.Free(selection, peer, failed: false);
        peer.Metrics?.Record(attempt.Status, false, attempt.HeaderTime, attempt.ResponseTime);
    }

    /// <summary>Where to send: the group and the URI, by nginx's proxy_pass rules.</summary>
    private ProxyTarget ResolveTarget(RequestContext request)
    {
        if (_proxy.Pass is StaticProxyPass pass)
        {
            return new ProxyTarget(_proxy.Upstream, pass.HostHeader, pass.Port, UpstreamUri(request, pass.Uri, pass.LocationPrefix), pass.Ssl ? "https" : "http", null, 0);
        }

        // With variables a URI in the URL is sent as it is; without one, the client's (nginx's create_request).
        var target = _proxy.VariableTargets!.Resolve(_proxy.PassTemplate!.Render(request));
        return target.Upstream is not null && target.Uri is null ? target with { Uri = UpstreamUri(request, "", null) } : target;
    }

    /// <summary>nginx's request URI for the upstream (<c>ngx_http_proxy_create_request</c>).</summary>
    private static string UpstreamUri(RequestContext request, string passUri, string? locationPrefix)
    {
        if (passUri.Length == 0 && !request.IsInternal)
        {
            return request.RawTarget.StartsWith('/') ? request.RawTarget : request.Uri + (request.Args is { Length: > 0 } a ? "?" + a : "");
        }

        var locationLength = request.ValidLocation && passUri.Length > 0 && locationPrefix is not null && request.Uri.StartsWith(locationPrefix, StringComparison.Ordinal)
            ? locationPrefix.Length
            : 0;
        var rest = request.Uri[locationLength..];
        if (request.QuotedUri || request.IsInternal)
        {
            rest = NginxUriEscape.Escape(rest);
        }

        var uri = (request.ValidLocation ? passUri : "") + rest;
        if (request.Args is { Length: > 0 } args)
        {
            uri += "?" + args;
        }

        return uri.Length == 0 ? "/" : uri;
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.ContainsKey("Transfer-Encoding"));

    /// <summary>The client stopped sending its body (408) or went away (499): logged as nginx does, and the connection closed.</summary>
    internal static int ClientBodyFailed(RequestContext request, bool timedOut)
    {
        var status = timedOut ? 408 : 499;
        request.ErrorLog.Write(LogLevel.Info, (timedOut
            ? "client timed out (110: Connection timed out) while reading client request body"
            : "client prematurely closed connection while reading client request body") + RequestLimits.Context(request));
        request.Status = status;
        request.Http.Abort();
        return status;
    }

}

/// <summary>
/// The request body as the attempts send it: none, read completely beforehand (in memory, or in a temp file of
/// <see cref="FileLength"/> bytes), or streamed from the client once.
/// </summary>
internal readonly record struct RequestBody(byte[]? Bytes, long StreamLength, bool IsStreamed, Microsoft.Win32.SafeHandles.SafeFileHandle? File = null, long FileLength = 0)
{
    public static RequestBody None => default;

    public bool IsPresent => Bytes is not null || IsStreamed || File is not null;

    public static RequestBody Buffered(byte[] bytes) => new(bytes, 0, false);

    /// <summary>A body larger than client_body_buffer_size, read whole into a temp file.</summary>
    public static RequestBody InFile(Microsoft.Win32.SafeHandles.SafeFileHandle file, long length) => new(null, 0, false, file, length);

    /// <param name="length">The client's Content-Length; -1 for a chunked body (sent chunked with HTTP/1.1).</param>
    public static RequestBody Streamed(long length) => new(null, length, true);
}
