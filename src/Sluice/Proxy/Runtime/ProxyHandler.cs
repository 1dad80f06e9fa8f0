using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Core;
using Sluice.Http.Runtime;
using Sluice.Proxy.Configuration;
using Sluice.Upstreams.Balancing;
using Sluice.Upstreams.Runtime;

namespace Sluice.Proxy.Runtime;

/// <summary>
/// nginx's proxy content handler: picks a peer with the group's balancer, sends the request (URI per
/// nginx's proxy_pass rules, headers per proxy_set_header), and streams the answer back; on an error or
/// timeout (and the statuses proxy_next_upstream names) it tries the next peer while nothing has reached
/// the client and the method allows it. Forwarding uses HttpClient's pool directly rather than YARP's
/// forwarder, which commits the response as soon as headers arrive — nginx decides on retries, status
/// interception and header rewriting after seeing them.
/// </summary>
internal sealed class ProxyHandler : PhaseHandler
{
    private readonly ProxyLocation _proxy;

    public ProxyHandler(ProxyLocation proxy) => _proxy = proxy;

    public override HttpPhase Phase => HttpPhase.Content;

    public override async ValueTask<PhaseOutcome> ExecuteAsync(RequestContext request)
    {
        var target = ResolveTarget(request);
        if (target.Upstream is null)
        {
            request.ErrorLog.Write(LogLevel.Error, target.Error ?? "no upstream");
            return PhaseOutcome.Finalize(502);
        }

        var http = request.Http;
        var maxBody = request.Location.Core.ClientMaxBodySize;
        if (maxBody > 0 && http.Request.ContentLength is { } declared && declared > maxBody)
        {
            request.ErrorLog.Write(LogLevel.Error, $"client intended to send too large body: {declared} bytes");
            return PhaseOutcome.Finalize(413);
        }

        byte[]? body = null;
        var hasBody = _proxy.PassRequestBody && HasBody(http.Request);
        if (hasBody && _proxy.RequestBuffering)
        {
            body = await ReadBodyAsync(request, maxBody).ConfigureAwait(false);
            if (body is null)
            {
                return PhaseOutcome.Finalize(413);
            }
        }

        var state = new UpstreamState();
        request.SetItem(state);
        var upstream = target.Upstream.Runtime;
        var balancer = upstream.Balancer;
        var client = request.Connection?.Remote?.Address ?? http.Connection.RemoteIpAddress;
        var selection = balancer.Begin(new BalancerRequest(target.Upstream.HashKey?.Render(request), client));
        if (_proxy.NextUpstreamTries > 0 && selection.Tries > _proxy.NextUpstreamTries)
        {
            selection.Tries = (int)_proxy.NextUpstreamTries;
        }

        var firstAttempt = Stopwatch.GetTimestamp();
        var idempotent = !(HttpMethods.IsPost(http.Request.Method) || HttpMethods.IsPatch(http.Request.Method) || http.Request.Method == "LOCK");
        while (true)
        {
            var peer = balancer.Pick(selection);
            if (peer is null)
            {
                var none = state.Start(upstream.Name);
                none.Status = 502;
                LogUpstreamError(request, "no live upstreams while connecting to upstream", $"http://{upstream.Name}{target.Uri}");
                return PhaseOutcome.Finalize(502);
            }

            var attempt = state.Start(peer.Name);
            var result = await AttemptAsync(request, peer, target, body, hasBody, attempt).ConfigureAwait(false);
            if (result.Done)
            {
                balancer.Free(selection, peer, failed: false);
                return PhaseOutcome.Done;
            }

            // nginx counts 403 and 404 as "next" (not a failure of the peer), every other reason as a failure.
            balancer.Free(selection, peer, failed: result.Failure is not (NextUpstreamConditions.Http403 or NextUpstreamConditions.Http404));
            var condition = result.Failure;
            if (result.RequestSent && !idempotent)
            {
                condition |= NextUpstreamConditions.NonIdempotent;
            }

            var timeout = _proxy.NextUpstreamTimeout;
            var canRetry = selection.Tries > 0
                && (_proxy.NextUpstream & condition) == condition
                && !(result.RequestSent && hasBody && body is null)
                && !(timeout > TimeSpan.Zero && Stopwatch.GetElapsedTime(firstAttempt) >= timeout)
                && !http.RequestAborted.IsCancellationRequested;
            if (canRetry)
            {
                result.Response?.Dispose();
                continue;
            }

            if (result.Response is { } last)
            {
                // The last peer's own answer (a 5xx proxy_next_upstream would have skipped) goes to the client.
                using (last)
                {
                    await StreamResponseAsync(request, last, attempt).ConfigureAwait(false);
                }

                return PhaseOutcome.Done;
            }

            if (http.RequestAborted.IsCancellationRequested)
            {
                request.Status = 499;
                return PhaseOutcome.Done;
            }

            return PhaseOutcome.Finalize(result.Status);
        }
    }

    private readonly record struct Target(UpstreamTarget? Upstream, string ProxyHost, string Uri, string Scheme, string? Error);

    private readonly record struct AttemptResult(bool Done, NextUpstreamConditions Failure, int Status, bool RequestSent, HttpResponseMessage? Response);

    /// <summary>Where to send: the group and the URI, by nginx's proxy_pass rules.</summary>
    private Target ResolveTarget(RequestContext request)
    {
        if (_proxy.Pass is StaticProxyPass pass)
        {
            return new Target(_proxy.Upstream, pass.HostHeader, UpstreamUri(request, pass.Uri, pass.LocationPrefix), pass.Ssl ? "https" : "http", null);
        }

        var url = _proxy.PassTemplate!.Render(request);
        var schemeLength = url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? 7 : url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? 8 : 0;
        if (schemeLength == 0)
        {
            return new Target(null, "", "", "http", $"invalid URL prefix in \"{url}\"");
        }

        var rest = url[schemeLength..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var hostPort = slash < 0 ? rest : rest[..slash];
        var uri = slash < 0 ? UpstreamUri(request, "", null) : rest[slash..];
        if (_proxy.UpstreamsByName.TryGetValue(hostPort, out var upstream))
        {
            return new Target(upstream, hostPort, uri, schemeLength == 8 ? "https" : "http", null);
        }

        return new Target(null, hostPort, uri, "http", $"no resolver defined to resolve {hostPort.Split(':')[0]}");
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

    private async Task<AttemptResult> AttemptAsync(RequestContext request, UpstreamPeer peer, Target target, byte[]? body, bool hasBody, UpstreamState.Attempt attempt)
    {
        var http = request.Http;
        var started = Stopwatch.GetTimestamp();
        var timing = new ConnectTiming();
        using var message = BuildRequest(request, peer, target, body, hasBody, timing);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        timeout.CancelAfter(_proxy.ConnectTimeout + _proxy.ReadTimeout);
        HttpResponseMessage response;
        var sent = false;
        try
        {
            var sending = target.Upstream!.Runtime.Invoker.SendAsync(message, timeout.Token);
            response = await sending.ConfigureAwait(false);
            sent = true;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            attempt.ConnectTime = timing.Elapsed;
            var connected = timing.Elapsed is not null;
            if (http.RequestAborted.IsCancellationRequested)
            {
                request.ErrorLog.Write(LogLevel.Info, "client prematurely closed connection while connecting to upstream");
                attempt.Status = 499;
                return new AttemptResult(false, NextUpstreamConditions.Error, 499, connected, null);
            }

            var (condition, status, message2) = Classify(e, connected);
            attempt.Status = status;
            attempt.ResponseTime = Stopwatch.GetElapsedTime(started);
            LogUpstreamError(request, message2, $"{target.Scheme}://{peer.Name}{target.Uri}");
            return new AttemptResult(false, condition, status, connected || e is not HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError }, null);
        }

        attempt.ConnectTime = timing.Elapsed ?? TimeSpan.Zero;
        attempt.HeaderTime = Stopwatch.GetElapsedTime(started);
        attempt.Status = (int)response.StatusCode;
        var nextCondition = StatusCondition((int)response.StatusCode);
        if (nextCondition != NextUpstreamConditions.None && (_proxy.NextUpstream & nextCondition) == nextCondition)
        {
            // Let the caller decide whether to try another peer; if not, this response is sent as is.
            attempt.ResponseTime = Stopwatch.GetElapsedTime(started);
            return new AttemptResult(false, nextCondition, (int)response.StatusCode, sent, response);
        }

        using (response)
        {
            await StreamResponseAsync(request, response, attempt, started).ConfigureAwait(false);
        }

        return new AttemptResult(true, NextUpstreamConditions.None, attempt.Status, sent, null);
    }

    private static NextUpstreamConditions StatusCondition(int status) => status switch
    {
        500 => NextUpstreamConditions.Http500,
        502 => NextUpstreamConditions.Http502,
        503 => NextUpstreamConditions.Http503,
        504 => NextUpstreamConditions.Http504,
        403 => NextUpstreamConditions.Http403,
        404 => NextUpstreamConditions.Http404,
        429 => NextUpstreamConditions.Http429,
        _ => NextUpstreamConditions.None,
    };

    /// <summary>nginx's failure types and messages for what went wrong before the response header.</summary>
    private static (NextUpstreamConditions Condition, int Status, string Message) Classify(Exception e, bool connected)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case UpstreamConnectTimeoutException:
                    return (NextUpstreamConditions.Timeout, 504, "upstream timed out (110: Connection timed out) while connecting to upstream");
                case SocketException socket when !connected:
                    return (NextUpstreamConditions.Error, 502, $"connect() failed ({socket.NativeErrorCode}: {Hosting.UnixProcess.StrError(socket.NativeErrorCode)}) while connecting to upstream");
                case SocketException socket:
                    return (NextUpstreamConditions.Error, 502, $"recv() failed ({socket.NativeErrorCode}: {Hosting.UnixProcess.StrError(socket.NativeErrorCode)}) while reading response header from upstream");
            }
        }

        if (e is OperationCanceledException)
        {
            return (NextUpstreamConditions.Timeout, 504, "upstream timed out (110: Connection timed out) while reading response header from upstream");
        }

        if (e is HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse })
        {
            return (NextUpstreamConditions.InvalidHeader, 502, "upstream sent invalid header while reading response header from upstream");
        }

        return (NextUpstreamConditions.Error, 502, "upstream prematurely closed connection while reading response header from upstream");
    }

    private HttpRequestMessage BuildRequest(RequestContext request, UpstreamPeer peer, Target target, byte[]? body, bool hasBody, ConnectTiming timing)
    {
        var http = request.Http;
        var method = _proxy.Method?.Render(request) ?? http.Request.Method;
        var message = new HttpRequestMessage(new HttpMethod(method), new Uri($"{target.Scheme}://{peer.Name}{target.Uri}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }))
        {
            Version = _proxy.HttpVersion,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        message.Options.Set(UpstreamRuntime.ConnectTimeout, _proxy.ConnectTimeout);
        message.Options.Set(UpstreamRuntime.ConnectTimingKey, timing);

        if (hasBody)
        {
            HttpContent content = body is not null ? new ByteArrayContent(body) : new StreamContent(http.Request.Body, (int)_proxy.BufferSize);
            message.Content = content;
        }

        foreach (var (name, value) in _proxy.SetHeaders)
        {
            var rendered = name.Equals("Host", StringComparison.OrdinalIgnoreCase) && value.Literal is null && value.Source.Source == "$proxy_host"
                ? target.ProxyHost
                : value.Render(request);
            if (rendered.Length == 0)
            {
                continue;
            }

            AddHeader(message, name, rendered);
        }

        if (_proxy.PassRequestHeaders)
        {
            foreach (var (name, values) in http.Request.Headers)
            {
                if (_proxy.SetHeaderNames.Contains(name))
                {
                    continue;
                }

                foreach (var value in values)
                {
                    AddHeader(message, name, value ?? "");
                }
            }
        }

        return message;
    }

    private static void AddHeader(HttpRequestMessage message, string name, string value)
    {
        if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
        {
            message.Headers.Host = value;
            return;
        }

        if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
        {
            if (value.Equals("close", StringComparison.OrdinalIgnoreCase))
            {
                message.Headers.ConnectionClose = true;
            }
            else
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }

            return;
        }

        if (!message.Headers.TryAddWithoutValidation(name, value) && message.Content is not null)
        {
            message.Content.Headers.TryAddWithoutValidation(name, value);
        }
    }

    private Task StreamResponseAsync(RequestContext request, HttpResponseMessage response, UpstreamState.Attempt attempt) =>
        StreamResponseAsync(request, response, attempt, Stopwatch.GetTimestamp());

    /// <summary>Copies the upstream's status, headers (less hidden ones, Location rewritten) and body to the client.</summary>
    private async Task StreamResponseAsync(RequestContext request, HttpResponseMessage upstreamResponse, UpstreamState.Attempt attempt, long started)
    {
        var http = request.Http;
        var response = http.Response;
        var state = request.Item<UpstreamState>()!;
        state.ResponseHeaders = upstreamResponse.Headers;
        state.ContentHeaders = upstreamResponse.Content.Headers;
        var status = (int)upstreamResponse.StatusCode;
        SpecialResponse.SetStatus(request, status);
        if (!string.IsNullOrEmpty(upstreamResponse.ReasonPhrase) && request.ErrorStatus == 0)
        {
            http.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = upstreamResponse.ReasonPhrase;
        }

        var flushEachChunk = !_proxy.Buffering;
        foreach (var (name, values) in upstreamResponse.Headers)
        {
            if (name.Equals("X-Accel-Buffering", StringComparison.OrdinalIgnoreCase))
            {
                // nginx honours the upstream's own switch unless proxy_ignore_headers says otherwise.
                var value = values.FirstOrDefault() ?? "";
                flushEachChunk = value.Equals("no", StringComparison.OrdinalIgnoreCase) || (!value.Equals("yes", StringComparison.OrdinalIgnoreCase) && flushEachChunk);
            }

            CopyHeader(request, response, name, values);
        }

        foreach (var (name, values) in upstreamResponse.Content.Headers)
        {
            CopyHeader(request, response, name, values);
        }

        if (upstreamResponse.Content.Headers.ContentLength is { } length)
        {
            response.ContentLength = length;
        }

        var isHead = HttpMethods.IsHead(http.Request.Method);

        // nginx counts the chunked framing in $body_bytes_sent; Kestrel frames each write as one chunk, as nginx does each buffer.
        var chunked = response.ContentLength is null && http.Request.Protocol == "HTTP/1.1" && status is not (204 or 304);
        var upstreamBody = await upstreamResponse.Content.ReadAsStreamAsync(http.RequestAborted).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(_proxy.BufferSize * 4, 65536));
        long total = 0;
        using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        try
        {
            if (isHead || status is 204 or 304)
            {
                await response.StartAsync(http.RequestAborted).ConfigureAwait(false);
                return;
            }

            while (true)
            {
                readTimeout.CancelAfter(_proxy.ReadTimeout);
                int read;
                try
                {
                    read = await upstreamBody.ReadAsync(buffer, readTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
                {
                    request.ErrorLog.Write(LogLevel.Error, "upstream timed out (110: Connection timed out) while reading upstream");
                    http.Abort();
                    return;
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    request.ErrorLog.Write(LogLevel.Error, "upstream prematurely closed connection while reading upstream");
                    http.Abort();
                    return;
                }

                if (read == 0)
                {
                    if (chunked)
                    {
                        request.BodyBytesSent += 5;
                    }

                    break;
                }

                total += read;
                await response.Body.WriteAsync(buffer.AsMemory(0, read), http.RequestAborted).ConfigureAwait(false);
                request.BodyBytesSent += read + (chunked ? ChunkOverhead(read) : 0);
                if (flushEachChunk)
                {
                    await response.Body.FlushAsync(http.RequestAborted).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            request.Status = 499;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            attempt.ResponseLength = total;
            attempt.ResponseTime = Stopwatch.GetElapsedTime(started);
        }
    }

    /// <summary>"size-in-hex CRLF … CRLF" around one chunk.</summary>
    private static int ChunkOverhead(int size) => ((64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)size) + 3) / 4) + 4;

    private void CopyHeader(RequestContext request, HttpResponse response, string name, IEnumerable<string> values)
    {
        if (_proxy.HideHeaders.Contains(name) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if ((name.Equals("Location", StringComparison.OrdinalIgnoreCase) || name.Equals("Refresh", StringComparison.OrdinalIgnoreCase)) && _proxy.Redirects is { Length: > 0 } rules)
        {
            values = values.Select(v => Rewrite(request, rules, v)).ToList();
        }

        foreach (var value in values)
        {
            response.Headers.Append(name, value);
        }
    }

    private static string Rewrite(RequestContext request, RedirectRule[] rules, string value)
    {
        foreach (var rule in rules)
        {
            if (rule.Apply(value, request) is { } rewritten)
            {
                return rewritten;
            }
        }

        return value;
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.ContainsKey("Transfer-Encoding"));

    /// <summary>proxy_request_buffering on: the whole body is read before the upstream is contacted (so a retry can resend it).</summary>
    private static async Task<byte[]?> ReadBodyAsync(RequestContext request, long maxBody)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16384);
        try
        {
            while (true)
            {
                var read = await request.Http.Request.Body.ReadAsync(chunk, request.Http.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer.ToArray();
                }

                buffer.Write(chunk, 0, read);
                if (maxBody > 0 && buffer.Length > maxBody)
                {
                    request.ErrorLog.Write(LogLevel.Error, $"client intended to send too large chunked body: {buffer.Length} bytes");
                    return null;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>nginx's upstream error line: the message, then client, server, request, upstream and host.</summary>
    private static void LogUpstreamError(RequestContext request, string message, string upstream)
    {
        var http = request.Http;
        var client = Variables.CoreVariables.AddressText(request.Connection?.Remote?.Address ?? http.Connection.RemoteIpAddress);
        var host = http.Request.Headers.Host is { Count: > 0 } hostHeader ? $", host: \"{hostHeader}\"" : "";
        request.ErrorLog.Write(
            LogLevel.Error,
            $"{message}, client: {client}, server: {request.Server.PrimaryName}, request: \"{http.Request.Method} {request.RawTarget} {http.Request.Protocol}\", upstream: \"{upstream}\"{host}");
    }
}
