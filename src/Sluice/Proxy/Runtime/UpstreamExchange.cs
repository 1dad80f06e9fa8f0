using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Core;
using Sluice.Http.Runtime;
using Sluice.Proxy.Configuration;
using Sluice.Upstreams.Balancing;
using Sluice.Upstreams.Http1;
using Sluice.Upstreams.Runtime;

namespace Sluice.Proxy.Runtime;

/// <summary>
/// One attempt of a proxied request on one peer, over HTTP/1.x on a socket of our own: take an idle
/// connection from the group's keepalive cache or connect (proxy_connect_timeout), send the request head
/// and body (proxy_send_timeout per write), read the response head into the connection's buffer
/// (proxy_buffer_size; proxy_read_timeout per read), and then — unless the caller tries another peer —
/// stream the body to the client and give the connection back to the cache when the response allows it.
/// Errors are classified and logged with nginx's words ("connect() failed (111: Connection refused) while
/// connecting to upstream, client: …").
/// </summary>
internal sealed class UpstreamExchange
{
    /// <summary>
    /// How much of the body one read takes: within Kestrel's own buffer blocks (4 KiB, pooled, less a chunk's
    /// framing), as a larger ask would rent (and often allocate) an array per read; nginx reads upstream bodies
    /// into 4 KiB proxy_buffers too.
    /// </summary>
    private const int ReadSize = 4096 - 64;

    private RequestContext _request = null!;
    private ProxyLocation _proxy = null!;
    private UpstreamRuntime _upstream = null!;
    private UpstreamPeer _peer = null!;
    private string _proxyHost = "";
    private string _scheme = "";
    private string _uri = "";
    private string _method = "";
    private RequestBody _body;
    private UpstreamState.Attempt _attempt = null!;
    private ResponseHead _headBuffer = null!;
    private long _started;
    private UpstreamConnection? _connection;
    private ResponseHead? _head;
    private CancellationTokenRegistration _abortRegistration;
    private string _action = "connecting to upstream";
    private bool _bodySent;
    private string? _pendingError;
    private bool _pendingTimeout;
    private bool _sendTimedOut;
    private bool _freesPeer;
    private ResponseSpool? _spool;
    private Task? _clientPump;
    private readonly RequestHeadWriter _requestHead = new();

    /// <summary>
    /// Prepares the exchange for one attempt. One exchange object serves every attempt of a request, and the
    /// requests after it on the same client connection (it is kept in the request's <see cref="UpstreamState"/>).
    /// </summary>
    public UpstreamExchange Reset(
        RequestContext request,
        ProxyLocation proxy,
        UpstreamRuntime upstream,
        UpstreamPeer peer,
        string proxyHost,
        string scheme,
        string uri,
        string method,
        RequestBody body,
        UpstreamState.Attempt attempt,
        ResponseHead head)
    {
        _request = request;
        _proxy = proxy;
        _upstream = upstream;
        _peer = peer;
        _proxyHost = proxyHost;
        _scheme = scheme;
        _uri = uri;
        _method = method;
        _body = body;
        _attempt = attempt;
        _headBuffer = head;
        _started = Stopwatch.GetTimestamp();
        _connection = null;
        _head = null;
        _abortRegistration = default;
        _action = "connecting to upstream";
        _bodySent = false;
        _pendingError = null;
        _pendingTimeout = false;
        _sendTimedOut = false;
        _freesPeer = false;
        PeerFreed = false;
        return this;
    }

    /// <summary>
    /// The peer was freed (balancer and metrics told) when its buffered response was read, before a slow client
    /// had it all: the caller must not free it again.
    /// </summary>
    public bool PeerFreed { get; private set; }

    private HttpContext Http => _request.Http;

    private CancellationToken Aborted => _request.Http.RequestAborted;

    /// <summary>Connects (or reuses), sends the request and reads the response head; sends the response unless its status asks for the next upstream.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<AttemptResult> RunAsync()
    {
        _connection = _upstream.Keepalive?.Take(_peer.Address);
        if (_connection is null)
        {
            var connected = await ConnectAsync().ConfigureAwait(false);
            if (connected is { } failure)
            {
                return failure;
            }
        }
        else
        {
            _attempt.ConnectTime = TimeSpan.Zero;
        }

        if (!_proxy.IgnoreClientAbort)
        {
            _abortRegistration = Aborted.UnsafeRegister(static s => ((UpstreamConnection)s!).Cancel(CancelReason.Client), _connection);
        }

        var outcome = await SendRequestAsync().ConfigureAwait(false);
        if (outcome is null)
        {
            // The head is read here, not in a method of its own: this is where a request waits, and every
            // frame that waits costs an allocation.
            _action = "reading response header from upstream";
            var connection = _connection!;
            while (!TryParseHead(connection, out outcome) && outcome is null)
            {
                int read;
                try
                {
                    read = await connection.ReceiveAsync(connection.Buffer.AsMemory(connection.End, connection.BufferSize - connection.End), _proxy.ReadTimeout).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException)
                {
                    outcome = SocketFailure(e, connection, "recv()");
                    break;
                }

                if (read == 0)
                {
                    // Also what a cached connection the peer closed just as this request arrived looks like
                    // (one it closed earlier never leaves the cache): nginx's rules for it are the caller's.
                    Fail("upstream prematurely closed connection");
                    outcome = Failed(NextUpstreamConditions.Error, 502, sent: true);
                    break;
                }

                connection.End += read;
                _attempt.BytesReceived += read;
            }
        }

        if (outcome is { } result)
        {
            LogPending();
            Release(reuse: false);
            return result;
        }

        var head = _head!;
        _attempt.HeaderTime = Stopwatch.GetElapsedTime(_started);
        _attempt.Status = head.Status;
        if (head.Status == 101)
        {
            return await TunnelAsync(head).ConfigureAwait(false);
        }

        var condition = StatusCondition(head.Status);
        if (condition != NextUpstreamConditions.None && (_proxy.NextUpstream & condition) == condition)
        {
            // The caller decides whether another peer is tried; if not, it sends this response as it is.
            _attempt.ResponseTime = Stopwatch.GetElapsedTime(_started);
            return new AttemptResult(false, condition, head.Status, RequestSent: true, HasResponse: true);
        }

        _freesPeer = true;
        await SendResponseAsync().ConfigureAwait(false);
        return new AttemptResult(true, NextUpstreamConditions.None, head.Status, RequestSent: true, HasResponse: false);
    }

    /// <summary>The caller tries another peer: this attempt's connection is closed.</summary>
    public void Abandon() => Release(reuse: false);

    /// <summary>Logs <paramref name="message"/> "while" the current action, with nginx's request context.</summary>
    public void Log(LogLevel level, string message) =>
        LogError(_request, level, $"{message} while {_action}", $"{_scheme}://{_peer.Name}{_uri}");

    /// <summary>nginx's upstream error line: the message, then client, server, request, upstream and host.</summary>
    public static void LogError(RequestContext request, LogLevel level, string message, string upstream)
    {
        var http = request.Http;
        var client = Variables.CoreVariables.AddressText(request.Connection?.Remote?.Address ?? http.Connection.RemoteIpAddress);
        var host = http.Request.Headers.Host is { Count: > 0 } hostHeader ? $", host: \"{hostHeader}\"" : "";
        request.ErrorLog.Write(
            level,
            $"{message}, client: {client}, server: {request.Server.PrimaryName}, request: \"{http.Request.Method} {request.RawTarget} {http.Request.Protocol}\", upstream: \"{upstream}\"{host}");
    }

    private void Fail(string message) => _pendingError = message;

    /// <summary>
    /// A timeout is logged after the peer is freed (<see cref="LogTimeout"/>): nginx's ngx_http_upstream_next
    /// frees the peer — "upstream server temporarily disabled" — before it logs "upstream timed out".
    /// </summary>
    private void TimedOut()
    {
        _pendingError = null;
        _pendingTimeout = true;
    }

    private void LogPending()
    {
        if (_pendingError is { } message)
        {
            Log(LogLevel.Error, message);
            _pendingError = null;
        }
    }

    /// <summary>Logs the attempt's timeout, if it timed out; the caller has freed the peer first.</summary>
    public void LogTimeout()
    {
        if (_pendingTimeout)
        {
            _pendingTimeout = false;
            Log(LogLevel.Error, "upstream timed out (110: Connection timed out)");
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<AttemptResult?> ConnectAsync()
    {
        _action = "connecting to upstream";
        var started = Stopwatch.GetTimestamp();
        _request.Runtime.Counters.UpstreamConnectionOpening();
        try
        {
            _connection = await UpstreamConnection.ConnectAsync(_peer.Address, (int)_proxy.BufferSize, _proxy.ConnectTimeout, _proxy.IgnoreClientAbort ? default : Aborted).ConfigureAwait(false);
            _attempt.ConnectTime = Stopwatch.GetElapsedTime(started);
            return null;
        }
        catch (OperationCanceledException)
        {
            return ClientClosed();
        }
        catch (TimeoutException)
        {
            TimedOut();
            return Failed(NextUpstreamConditions.Timeout, 504, sent: false);
        }
        catch (SocketException e)
        {
            Log(LogLevel.Error, $"connect() failed ({e.NativeErrorCode}: {Hosting.UnixProcess.StrError(e.NativeErrorCode)})");
            return Failed(NextUpstreamConditions.Error, 502, sent: false);
        }
    }

    /// <summary>Sends the request and reads the response head; null on success (the head is in <see cref="_head"/>).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<AttemptResult?> SendRequestAsync()
    {
        var connection = _connection!;
        connection.Requests++;
        connection.Start = connection.End = 0;
        _action = "sending request to upstream";
        try
        {
            BuildRequestHead(_requestHead);
            try
            {
                _attempt.BytesSent = _requestHead.Length;
                await connection.SendAsync(_requestHead.Written, _proxy.SendTimeout).ConfigureAwait(false);
            }
            finally
            {
                _requestHead.Release();
            }

            if (_body.Bytes is { Length: > 65536 } large)
            {
                await connection.SendAsync(large, _proxy.SendTimeout).ConfigureAwait(false);
                _attempt.BytesSent += large.Length;
            }
            else if (_body.File is { } file)
            {
                await SendFileBodyAsync(connection, file, _body.FileLength).ConfigureAwait(false);
            }

            if (_body.IsStreamed)
            {
                var streamed = await SendStreamedBodyAsync(connection).ConfigureAwait(false);
                if (streamed is { } bodyFailure)
                {
                    return bodyFailure;
                }
            }

            _bodySent = true;
            return null;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return SocketFailure(e, connection, "writev()");
        }
    }

    /// <summary>
    /// Parses what the connection's buffer holds: true once the head is complete (interim 1xx answers
    /// skipped); false when more bytes are needed or the head is refused (then <paramref name="failure"/>).
    /// </summary>
    private bool TryParseHead(UpstreamConnection connection, out AttemptResult? failure)
    {
        failure = null;
        var head = _headBuffer;
        while (true)
        {
            var parsed = head.Parse(connection.Buffer.AsSpan(connection.Start, connection.End - connection.Start));
            if (parsed > 0)
            {
                connection.Start += parsed;
                if (head.Status is >= 100 and < 200 && head.Status != 101)
                {
                    // An interim response (100 Continue, 103 Early Hints) is not the answer: read on.
                    continue;
                }

                _head = head;
                return true;
            }

            if (parsed < 0)
            {
                Fail($"upstream sent {head.Error}");
                failure = Failed(NextUpstreamConditions.InvalidHeader, 502, sent: true);
                return false;
            }

            if (connection.Start > 0)
            {
                connection.Buffer.AsSpan(connection.Start, connection.End - connection.Start).CopyTo(connection.Buffer);
                connection.End -= connection.Start;
                connection.Start = 0;
            }

            if (head.CannotBeHead(connection.Buffer.AsSpan(0, connection.End)))
            {
                Fail("upstream sent no valid HTTP/1.0 header");
                failure = Failed(NextUpstreamConditions.InvalidHeader, 502, sent: true);
            }
            else if (connection.End == connection.BufferSize)
            {
                Fail("upstream sent too big header");
                failure = Failed(NextUpstreamConditions.InvalidHeader, 502, sent: true);
            }

            return false;
        }
    }

    /// <summary>The request line and header fields nginx would send (proxy_set_header with its defaults, then the client's own), and a buffered body.</summary>
    private void BuildRequestHead(RequestHeadWriter head)
    {
        var request = _request;
        var http = Http;
        head.Begin();
        head.RequestLine(_method, _uri, _proxy.Http11);
        foreach (var set in _proxy.SetHeaders)
        {
            var rendered = set.IsProxyHost ? _proxyHost : set.Value.Render(request);
            if (rendered.Length > 0)
            {
                head.Header(set.Name, rendered);
            }
        }

        if (_body.Bytes is { } bytes)
        {
            head.Header("Content-Length", bytes.Length);
        }
        else if (_body.File is not null)
        {
            head.Header("Content-Length", _body.FileLength);
        }
        else if (_body.IsStreamed)
        {
            if (_body.StreamLength >= 0)
            {
                head.Header("Content-Length", _body.StreamLength);
            }
            else
            {
                head.Header("Transfer-Encoding", "chunked");
            }
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
                    head.Header(name, value ?? "");
                }
            }
        }

        head.End();
        if (_body.Bytes is { Length: <= 65536 } small)
        {
            // A small body goes in the same write as the head.
            head.Append(small);
        }
    }

    /// <summary>A body buffered to a temp file (larger than client_body_buffer_size), sent from it a buffer at a time.</summary>
    private async ValueTask SendFileBodyAsync(UpstreamConnection connection, Microsoft.Win32.SafeHandles.SafeFileHandle file, long length)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            for (long offset = 0; offset < length;)
            {
                var read = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - offset)), offset).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException("the request body's temp file is shorter than the body");
                }

                await connection.SendAsync(buffer.AsMemory(0, read), _proxy.SendTimeout).ConfigureAwait(false);
                _attempt.BytesSent += read;
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A request body streamed from the client as it arrives (proxy_request_buffering off), chunked when its length is unknown.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<AttemptResult?> SendStreamedBodyAsync(UpstreamConnection connection)
    {
        var reader = Http.Request.BodyReader;
        var chunked = _body.StreamLength < 0;
        var maxBody = _request.Location.Core.ClientMaxBodySize;
        long total = 0;
        var frame = new byte[18];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Aborted);
        var limit = _request.Location.Core.ClientBodyTimeout;
        while (true)
        {
            ReadResult read;
            try
            {
                timeout.CancelAfter(limit);
                read = await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (BadHttpRequestException bad)
            {
                _request.ErrorLog.Write(LogLevel.Info, $"client sent invalid chunked body{RequestLimits.Context(_request)}");
                return AttemptResult.Final(bad.StatusCode);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                var status = ProxyHandler.ClientBodyFailed(_request, timedOut: !Aborted.IsCancellationRequested && e is OperationCanceledException);
                _attempt.Status = status;
                return AttemptResult.Final(499);
            }

            var buffer = read.Buffer;
            total += buffer.Length;
            _request.BodyBytesRead = total;
            if (maxBody > 0 && total > maxBody)
            {
                _request.ErrorLog.Write(LogLevel.Error, $"client intended to send too large chunked body: {total} bytes{RequestLimits.Context(_request)}");
                reader.AdvanceTo(buffer.End);
                return AttemptResult.Final(413);
            }

            foreach (var segment in buffer)
            {
                if (segment.IsEmpty)
                {
                    continue;
                }

                if (chunked)
                {
                    var length = ChunkPrefix(frame, segment.Length);
                    await connection.SendAsync(frame.AsMemory(0, length), _proxy.SendTimeout).ConfigureAwait(false);
                }

                await connection.SendAsync(segment, _proxy.SendTimeout).ConfigureAwait(false);
                if (chunked)
                {
                    await connection.SendAsync("\r\n"u8.ToArray(), _proxy.SendTimeout).ConfigureAwait(false);
                }

                _attempt.BytesSent += segment.Length;
            }

            reader.AdvanceTo(buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        if (chunked)
        {
            await connection.SendAsync("0\r\n\r\n"u8.ToArray(), _proxy.SendTimeout).ConfigureAwait(false);
        }

        return null;
    }

    private static int ChunkPrefix(byte[] frame, int size)
    {
        size.TryFormat(frame, out var written, "x", System.Globalization.CultureInfo.InvariantCulture);
        frame[written] = (byte)'\r';
        frame[written + 1] = (byte)'\n';
        return written + 2;
    }

    /// <summary>Copies the upstream's status, headers (less hidden ones, Location rewritten) and body to the client.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendResponseAsync()
    {
        var connection = _connection!;
        var head = _head!;
        var http = Http;
        var response = http.Response;
        var request = _request;
        request.Upstream!.ResponseHead = head;
        var status = head.Status;
        SpecialResponse.SetStatus(request, status);
        if (head.Reason.Length > 0 && request.ErrorStatus == 0)
        {
            http.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = head.Reason;
        }

        var buffering = _proxy.Buffering;
        var headers = head.Headers;
        for (var i = 0; i < headers.Count; i++)
        {
            var (name, value) = headers[i];
            if (name.Equals("X-Accel-Buffering", StringComparison.OrdinalIgnoreCase) && !_proxy.IgnoreAccelBuffering)
            {
                // nginx lets the upstream switch buffering for its response, unless proxy_ignore_headers says otherwise.
                buffering = value.Equals("yes", StringComparison.OrdinalIgnoreCase) || (!value.Equals("no", StringComparison.OrdinalIgnoreCase) && buffering);
            }

            CopyHeader(response, name, value);
        }

        var isHead = HttpMethods.IsHead(http.Request.Method);
        var noBody = isHead || status is 204 or 304 || (!head.Chunked && head.ContentLength == 0);
        if (head.ContentLength >= 0 && status is not (204 or 304))
        {
            response.ContentLength = head.ContentLength;
        }

        _action = "reading upstream";
        var complete = false;
        long length = 0;
        try
        {
            if (noBody)
            {
                complete = true;
                UpstreamDone(true, 0, head);
                await response.StartAsync(Aborted).ConfigureAwait(false);
                return;
            }

            // nginx counts the chunked framing in $body_bytes_sent; Kestrel sends what is flushed at once as one chunk.
            var chunkedToClient = response.ContentLength is null && http.Request.Protocol == "HTTP/1.1";
            (complete, length) = buffering
                ? await BufferBodyAsync(connection, head, response.BodyWriter, chunkedToClient).ConfigureAwait(false)
                : await StreamBodyAsync(connection, head, response.BodyWriter, chunkedToClient).ConfigureAwait(false);
            if (_clientPump is { } pump)
            {
                // A slow client of a buffered response: the upstream's part is over (let go if it failed), while
                // the client still reads what waits in memory or in the temp file.
                if (_connection is not null)
                {
                    UpstreamDone(complete, length, head);
                }

                await pump.ConfigureAwait(false);
            }

            if (complete && chunkedToClient)
            {
                request.BodyBytesSent += 5;
            }
        }
        catch (OperationCanceledException) when (_sendTimedOut)
        {
            // send_timeout: nginx logs the status that was being sent, not 499.
        }
        catch (OperationCanceledException)
        {
            // Only the client's side can cancel here: the upstream's timeouts are handled where they happen.
            request.Status = 499;
            _request.ErrorLog.Write(LogLevel.Info, "client prematurely closed connection while sending to client" + RequestLimits.Context(request));
        }
        finally
        {
            await EndClientPumpAsync().ConfigureAwait(false);
            if (_connection is not null)
            {
                UpstreamDone(complete, length, head);
            }
        }
    }

    /// <summary>
    /// The upstream's response is over (completely or not): its times are taken and its connection cached or
    /// closed — as soon as the upstream is done, before the client has the last bytes (nginx frees the upstream
    /// when it is done), so a request the client sends on seeing the answer finds the connection cached.
    /// </summary>
    private void UpstreamDone(bool complete, long length, ResponseHead head)
    {
        var connection = _connection!;
        _attempt.ResponseLength = length;
        _attempt.ResponseTime = Stopwatch.GetElapsedTime(_started);
        var reuse = complete && _bodySent && !head.ConnectionClose && connection.Buffered == 0 && connection.Cancelled == CancelReason.None;
        Release(reuse);
        if (_clientPump is not null && _freesPeer)
        {
            // The peer is free too (least_conn, max_conns): nginx frees it when the upstream is done.
            _upstream.Balancer.Free(_request.Upstream!.Selection!, _peer, failed: false);
            _peer.Metrics?.Record(_attempt.Status, false, _attempt.HeaderTime, _attempt.ResponseTime);
            PeerFreed = true;
        }
    }

    /// <summary>The body with proxy_buffering off: each read goes to the client at once (SSE events as they are written).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(bool Complete, long Length)> StreamBodyAsync(UpstreamConnection connection, ResponseHead head, PipeWriter writer, bool chunkedToClient)
    {
        var decoder = head.Chunked ? new ChunkedDecoder() : null;
        var remaining = head.Chunked ? -1 : head.ContentLength;
        long raw = 0;
        while (true)
        {
            if (connection.Buffered == 0)
            {
                connection.ReleaseBuffer();
                // A stream (SSE) may wait minutes for its next event: wait for it without holding a buffer,
                // as nginx's one proxy_buffer_size buffer per stream is all it holds.
                try
                {
                    await connection.ReceiveAsync(Memory<byte>.Empty, _proxy.ReadTimeout).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException && connection.Reason != CancelReason.Client)
                {
                    BodyReadFailed(e);
                    return (false, raw);
                }
            }

            var memory = writer.GetMemory(ReadSize);
            if (remaining >= 0 && memory.Length > remaining)
            {
                memory = memory[..(int)remaining];
            }

            int read;
            if (connection.Buffered > 0)
            {
                read = connection.TakeBuffered(memory.Span);
            }
            else
            {
                try
                {
                    read = await connection.ReceiveAsync(memory, _proxy.ReadTimeout).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException && connection.Reason != CancelReason.Client)
                {
                    BodyReadFailed(e);
                    return (false, raw);
                }

                if (read == 0)
                {
                    if (remaining < 0 && decoder is null)
                    {
                        // No length, no chunks: the body ends where the upstream closes.
                        return (true, raw);
                    }

                    Log(LogLevel.Error, "upstream prematurely closed connection");
                    Http.Abort();
                    return (false, raw);
                }

                _attempt.BytesReceived += read;
            }

            raw += read;
            var data = read;
            if (decoder is not null)
            {
                data = decoder.Decode(memory.Span[..read]);
                if (data < 0)
                {
                    Log(LogLevel.Error, "upstream sent invalid chunked response");
                    Http.Abort();
                    return (false, raw);
                }
            }

            if (remaining > 0)
            {
                remaining -= read;
            }

            var complete = remaining == 0 || decoder is { Done: true };
            if (complete)
            {
                // The upstream is done: it is let go before the client has the last bytes, as nginx lets it go.
                DropIfExcess(connection, decoder);
                UpstreamDone(true, raw, head);
            }

            if (data > 0)
            {
                writer.Advance(data);
                await FlushAsync(writer, data, chunkedToClient).ConfigureAwait(false);
            }

            if (complete)
            {
                return (true, raw);
            }
        }
    }

    /// <summary>
    /// The body with proxy_buffering on, as nginx's event pipe sends it: in whole buffers — first what the head
    /// left of its proxy_buffer_size buffer, then proxy_buffers' — each sent when full or when the body ends, so
    /// bytes that trickle in are gathered, not sent a write at a time. While the client takes each buffer as it
    /// comes, buffers go straight into the client's response; once the client is slower than the upstream
    /// (a flush has to wait), the rest goes through a <see cref="ResponseSpool"/> to a pump of its own, and the
    /// upstream is read — and let go — at its own pace.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(bool Complete, long Length)> BufferBodyAsync(UpstreamConnection connection, ResponseHead head, PipeWriter writer, bool chunkedToClient)
    {
        var decoder = head.Chunked ? new ChunkedDecoder() : null;
        var remaining = head.Chunked ? -1 : head.ContentLength;
        var bufferSize = _proxy.Buffers.BufferSize;
        var batch = (long)bufferSize * _proxy.Buffers.BufferCount;
        var space = Math.Max(1, connection.BufferSize - connection.Start);
        long raw = 0;
        long unflushed = 0;

        // Once spooled: the buffer being filled, and how many body bytes it holds.
        byte[]? buffer = null;
        var held = 0;
        try
        {
            while (true)
            {
                var spool = _spool;
                var memory = spool is null ? writer.GetMemory(ReadSize) : (buffer ??= spool.RentBuffer()).AsMemory(held, bufferSize - held);
                var limit = remaining >= 0 ? Math.Min(space, remaining) : space;
                if (memory.Length > limit)
                {
                    memory = memory[..(int)limit];
                }

                int read;
                var ended = false;
                if (connection.Buffered > 0)
                {
                    read = connection.TakeBuffered(memory.Span);
                }
                else
                {
                    if (spool is { HasGathered: true } && connection.Socket.Available == 0)
                    {
                        // Nothing more from the upstream for now: what waits for the temp file is written, not held.
                        await spool.WriteGatheredAsync().ConfigureAwait(false);
                    }

                    try
                    {
                        read = await connection.ReceiveAsync(memory, _proxy.ReadTimeout).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is OperationCanceledException or SocketException && connection.Reason != CancelReason.Client)
                    {
                        // nginx's event pipe reads a buffered body with readv(2).
                        Log(LogLevel.Error, e is SocketException socket
                            ? $"readv() failed ({socket.NativeErrorCode}: {Hosting.UnixProcess.StrError(socket.NativeErrorCode)})"
                            : "upstream timed out (110: Connection timed out)");
                        break;
                    }

                    if (read == 0)
                    {
                        if (remaining >= 0 || decoder is not null)
                        {
                            Log(LogLevel.Error, "upstream prematurely closed connection");
                            break;
                        }

                        // No length, no chunks: the body ends where the upstream closes.
                        ended = true;
                    }

                    _attempt.BytesReceived += read;
                }

                raw += read;
                space -= read;
                var data = read;
                if (decoder is not null && read > 0)
                {
                    data = decoder.Decode(memory.Span[..read]);
                    if (data < 0)
                    {
                        Log(LogLevel.Error, "upstream sent invalid chunked response");
                        break;
                    }
                }

                if (spool is null)
                {
                    writer.Advance(data);
                    unflushed += data;
                }
                else
                {
                    held += data;
                }

                if (remaining > 0)
                {
                    remaining -= read;
                }

                var complete = ended || remaining == 0 || decoder is { Done: true };
                if (complete)
                {
                    // The upstream is done: it is let go before the client has the last bytes, as nginx lets it go.
                    DropIfExcess(connection, decoder);
                    UpstreamDone(true, raw, head);
                }

                if (space == 0 || complete)
                {
                    // A full buffer (or the last) goes on to the client — with the full buffers after it when the
                    // upstream has more ready now, up to all of proxy_buffers, as nginx writes what it read.
                    space = bufferSize;
                    if (spool is null)
                    {
                        if (!complete && unflushed < batch && (connection.Buffered > 0 || connection.Socket.Available > 0))
                        {
                            continue;
                        }

                        var pending = BeginFlush(writer, unflushed, chunkedToClient);
                        unflushed = 0;
                        if (pending.IsCompleted || complete)
                        {
                            await EndFlushAsync(pending).ConfigureAwait(false);
                        }
                        else
                        {
                            _spool = new ResponseSpool(_proxy.Buffers, Log);
                            _clientPump = PumpAsync(_spool, pending, writer, chunkedToClient);
                        }
                    }
                    else if (held > 0)
                    {
                        var full = buffer!;
                        buffer = null;
                        await spool.AddAsync(full, held).ConfigureAwait(false);
                        held = 0;
                    }
                }

                if (complete)
                {
                    if (_spool is { } done)
                    {
                        await done.CompleteAsync(failed: false).ConfigureAwait(false);
                    }

                    return (true, raw);
                }
            }

            // The upstream failed after the head went out (logged above): the client gets what came, then its
            // connection is closed, as nginx closes it.
            if (_spool is { } cut)
            {
                if (held > 0)
                {
                    var last = buffer!;
                    buffer = null;
                    await cut.AddAsync(last, held).ConfigureAwait(false);
                }

                await cut.CompleteAsync(failed: true).ConfigureAwait(false);
            }
            else
            {
                await FlushAsync(writer, unflushed, chunkedToClient).ConfigureAwait(false);
                Http.Abort();
            }

            return (false, raw);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Sends a slow client what the <see cref="ResponseSpool"/> holds, in order, flushing every
    /// proxy_busy_buffers_size (send_timeout between two writes); ends with the spool, and closes the client's
    /// connection after what came when the upstream's response was cut short.
    /// </summary>
    private async Task PumpAsync(ResponseSpool spool, ValueTask<FlushResult> pending, PipeWriter writer, bool chunkedToClient)
    {
        try
        {
            await EndFlushAsync(pending).ConfigureAwait(false);
            long unflushed = 0;
            while (true)
            {
                var next = spool.TakeAsync();
                if (!next.IsCompleted && unflushed > 0)
                {
                    // Nothing more is ready: what was written goes out before waiting.
                    await FlushAsync(writer, unflushed, chunkedToClient).ConfigureAwait(false);
                    unflushed = 0;
                }

                var piece = await next.ConfigureAwait(false);
                if (piece.IsEnd)
                {
                    break;
                }

                if (piece.Buffer is { } memoryPiece)
                {
                    writer.Write(memoryPiece.AsSpan(0, piece.Length));
                    spool.Return(memoryPiece);
                }
                else
                {
                    for (var done = 0; done < piece.Length;)
                    {
                        var into = writer.GetMemory(ReadSize);
                        var read = await spool.ReadAsync(into[..Math.Min(into.Length, piece.Length - done)], piece.Offset + done).ConfigureAwait(false);
                        if (read == 0)
                        {
                            throw new IOException("the temp file is shorter than what was written to it");
                        }

                        writer.Advance(read);
                        done += read;
                    }
                }

                unflushed += piece.Length;
                if (unflushed >= _proxy.Buffers.BusySize)
                {
                    await FlushAsync(writer, unflushed, chunkedToClient).ConfigureAwait(false);
                    unflushed = 0;
                }
            }

            await FlushAsync(writer, unflushed, chunkedToClient).ConfigureAwait(false);
            if (spool.UpstreamFailed)
            {
                Http.Abort();
            }
        }
        catch (Exception e)
        {
            spool.ClientGone(e);
            throw;
        }
    }

    /// <summary>Waits for a client pump still running (the upstream side ended early: it is told so) and frees the spool.</summary>
    private async ValueTask EndClientPumpAsync()
    {
        if (_clientPump is not { } pump)
        {
            return;
        }

        var spool = _spool!;
        if (!pump.IsCompleted)
        {
            await spool.CompleteAsync(failed: true).ConfigureAwait(false);
        }

        try
        {
            await pump.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Logged where it was caught first (the client's 499), or the client is gone anyway.
        }

        spool.Close();
        _clientPump = null;
        _spool = null;
    }

    /// <summary>Bytes after the last chunk: the connection is in an unknown state, it is not reused.</summary>
    private static void DropIfExcess(UpstreamConnection connection, ChunkedDecoder? decoder)
    {
        if (decoder is { Excess: > 0 })
        {
            connection.Cancel(CancelReason.Timeout);
        }
    }

    /// <summary>Reading the body failed after the head went to the client: nginx logs it and closes the client connection.</summary>
    private void BodyReadFailed(Exception e)
    {
        Log(LogLevel.Error, e is SocketException socket
            ? $"recv() failed ({socket.NativeErrorCode}: {Hosting.UnixProcess.StrError(socket.NativeErrorCode)})"
            : "upstream timed out (110: Connection timed out)");
        Http.Abort();
    }

    /// <summary>Sends what was written since the last flush; send_timeout if the client does not take it.</summary>
    private ValueTask FlushAsync(PipeWriter writer, long unflushed, bool chunkedToClient)
    {
        if (unflushed == 0)
        {
            return ValueTask.CompletedTask;
        }

        var pending = BeginFlush(writer, unflushed, chunkedToClient);
        return pending.IsCompleted ? CheckFlushed(pending.Result) : EndFlushAsync(pending);
    }

    /// <summary>Starts sending what was written (counted in $body_bytes_sent); nothing when nothing was.</summary>
    private ValueTask<FlushResult> BeginFlush(PipeWriter writer, long unflushed, bool chunkedToClient)
    {
        if (unflushed == 0)
        {
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
        }

        _request.BodyBytesSent += unflushed + (chunkedToClient ? ChunkOverhead(unflushed) : 0);
        return writer.FlushAsync(Aborted);
    }

    private async ValueTask EndFlushAsync(ValueTask<FlushResult> pending)
    {
        FlushResult result;
        if (pending.IsCompleted)
        {
            result = pending.Result;
        }
        else
        {
            // The client is not taking the response: send_timeout between two writes, then the connection goes.
            var http = Http;
            using var sendTimeout = new CancellationTokenSource(_request.Location.Core.SendTimeout);
            using var onTimeout = sendTimeout.Token.UnsafeRegister(static s => ((UpstreamExchange)s!).SendTimedOut(), this);
            result = await pending.ConfigureAwait(false);
            if (sendTimeout.IsCancellationRequested)
            {
                throw new OperationCanceledException(http.RequestAborted);
            }
        }

        await CheckFlushed(result).ConfigureAwait(false);
    }

    private ValueTask CheckFlushed(FlushResult result) =>
        result.IsCanceled || result.IsCompleted ? ValueTask.FromException(new OperationCanceledException(Aborted)) : ValueTask.CompletedTask;

    private void SendTimedOut()
    {
        _sendTimedOut = true;
        _request.ErrorLog.Write(LogLevel.Info, "client timed out (110: Connection timed out) while sending to client" + RequestLimits.Context(_request));
        _connection?.Cancel(CancelReason.Client);
        Http.Abort();
    }

    /// <summary>"size-in-hex CRLF … CRLF" around one chunk.</summary>
    private static int ChunkOverhead(long size) => ((64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)size) + 3) / 4) + 4;

    /// <summary>
    /// A 101 answer to an Upgrade request (WebSocket): the client gets the upstream's 101 and its headers, then
    /// bytes flow both ways until either side closes or nothing moves for proxy_read_timeout.
    /// </summary>
    private async Task<AttemptResult> TunnelAsync(ResponseHead head)
    {
        var connection = _connection!;
        var upgrade = Http.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true })
        {
            Log(LogLevel.Error, "upstream sent 101 to a request that did not ask for an upgrade");
            Release(reuse: false);
            return Failed(NextUpstreamConditions.InvalidHeader, 502, sent: true);
        }

        var response = Http.Response;
        foreach (var (name, value) in head.Headers)
        {
            if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                response.Headers.Upgrade = value;
            }
            else
            {
                CopyHeader(response, name, value);
            }
        }

        _action = "proxying upgraded connection";
        Stream client;
        try
        {
            client = await upgrade.UpgradeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            Release(reuse: false);
            return new AttemptResult(true, NextUpstreamConditions.None, 101, true, false);
        }

        using var idle = new CancellationTokenSource();
        var idleTimeout = _proxy.ReadTimeout;
        idle.CancelAfter(idleTimeout);
        using var registration = Aborted.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), idle);
        var toClient = RelayToClientAsync(connection, client, idle, idleTimeout);
        var toUpstream = RelayToUpstreamAsync(connection, client, idle, idleTimeout);
        await Task.WhenAny(toClient, toUpstream).ConfigureAwait(false);

        // Either side ended: close both, which ends the other relay.
        await idle.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(toClient, toUpstream).ConfigureAwait(false);
        await client.DisposeAsync().ConfigureAwait(false);
        _attempt.ResponseTime = Stopwatch.GetElapsedTime(_started);
        Release(reuse: false);
        return new AttemptResult(true, NextUpstreamConditions.None, 101, true, false);
    }

    private static async Task RelayToClientAsync(UpstreamConnection connection, Stream client, CancellationTokenSource idle, TimeSpan idleTimeout)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16384);
        try
        {
            if (connection.Buffered > 0)
            {
                var early = connection.TakeBuffered(buffer);
                await client.WriteAsync(buffer.AsMemory(0, early), idle.Token).ConfigureAwait(false);
                await client.FlushAsync(idle.Token).ConfigureAwait(false);
            }

            while (true)
            {
                var read = await connection.Io.ReceiveAsync(buffer, idle.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                idle.CancelAfter(idleTimeout);
                await client.WriteAsync(buffer.AsMemory(0, read), idle.Token).ConfigureAwait(false);
                await client.FlushAsync(idle.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task RelayToUpstreamAsync(UpstreamConnection connection, Stream client, CancellationTokenSource idle, TimeSpan idleTimeout)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16384);
        try
        {
            while (true)
            {
                var read = await client.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    connection.Socket.Shutdown(SocketShutdown.Send);
                    return;
                }

                idle.CancelAfter(idleTimeout);
                await connection.Io.SendAsync(buffer.AsMemory(0, read), idle.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void CopyHeader(HttpResponse response, string name, string value)
    {
        if (_proxy.HideHeaders.Contains(name) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if ((name.Equals("Location", StringComparison.OrdinalIgnoreCase) || name.Equals("Refresh", StringComparison.OrdinalIgnoreCase)) && _proxy.Redirects is { Length: > 0 } rules)
        {
            value = Rewrite(rules, value);
        }

        response.Headers.Append(name, value);
    }

    private string Rewrite(RedirectRule[] rules, string value)
    {
        foreach (var rule in rules)
        {
            if (rule.Apply(value, _request) is { } rewritten)
            {
                return rewritten;
            }
        }

        return value;
    }

    /// <summary>
    /// A send or read on the upstream failed: the client went away (499), one of our timers fired (timeout,
    /// 504), or the socket failed (error, 502, with nginx's "recv() failed (104: Connection reset by peer)").
    /// </summary>
    private AttemptResult SocketFailure(Exception e, UpstreamConnection connection, string syscall)
    {
        if (e is OperationCanceledException)
        {
            if (connection.Reason == CancelReason.Client)
            {
                return ClientClosed();
            }

            TimedOut();
            return Failed(NextUpstreamConditions.Timeout, 504, sent: true);
        }

        var code = ((SocketException)e).NativeErrorCode;
        Fail($"{syscall} failed ({code}: {Hosting.UnixProcess.StrError(code)})");
        return Failed(NextUpstreamConditions.Error, 502, sent: true);
    }

    private AttemptResult ClientClosed()
    {
        _request.ErrorLog.Write(LogLevel.Info, $"client prematurely closed connection while {_action}");
        _attempt.Status = 499;
        _request.Status = 499;
        return AttemptResult.Final(499);
    }

    private AttemptResult Failed(NextUpstreamConditions condition, int status, bool sent)
    {
        _attempt.Status = status;
        _attempt.ResponseTime = Stopwatch.GetElapsedTime(_started);
        return new AttemptResult(false, condition, status, sent, HasResponse: false, CachedConnection: _connection is { Reused: true });
    }

    /// <summary>Gives the connection back to the keepalive cache (when the response allows it and the group has one) or closes it.</summary>
    private void Release(bool reuse)
    {
        _abortRegistration.Dispose();
        _abortRegistration = default;
        if (_connection is not { } connection)
        {
            return;
        }

        _connection = null;
        if (reuse && _upstream.Keepalive is { } cache)
        {
            cache.Return(connection);
        }
        else
        {
            connection.Dispose();
        }
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
}

/// <summary>How one attempt ended.</summary>
/// <param name="Done">The response went to the client (or the client went away): nothing more to do.</param>
/// <param name="Failure">Why another peer could be tried (a proxy_next_upstream condition); None when it must not be.</param>
/// <param name="Status">The status to finalize with when no other peer is tried.</param>
/// <param name="RequestSent">Something of the request reached the upstream (non-idempotent requests are then not retried).</param>
/// <param name="HasResponse">The upstream's own response is held, to be sent if no other peer is tried.</param>
/// <param name="CachedConnection">The attempt ran on a connection from the keepalive cache (nginx's <c>peer.cached</c>): an error on it gives the try back.</param>
internal readonly record struct AttemptResult(bool Done, NextUpstreamConditions Failure, int Status, bool RequestSent, bool HasResponse, bool CachedConnection = false)
{
    /// <summary>Ends the request with <paramref name="status"/>: no other peer, no failure counted (client gone, body too large).</summary>
    public static AttemptResult Final(int status) => new(false, NextUpstreamConditions.Off, status, false, false);

    public bool IsFinal => Failure == NextUpstreamConditions.Off;
}
