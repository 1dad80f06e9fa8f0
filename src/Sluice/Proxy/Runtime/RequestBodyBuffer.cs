using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Win32.SafeHandles;
using Sluice.Core;
using Sluice.Http.Runtime;

namespace Sluice.Proxy.Runtime;

/// <summary>
/// Reads a request body whole before any upstream is contacted (proxy_request_buffering on), so that a retry can
/// send it again — as nginx does: in memory while it fits client_body_buffer_size, else in a temp file under
/// client_body_temp_path (unlinked once open; nginx's "[warn] a client request body is buffered to a temporary
/// file"), so an upload costs at most that buffer of memory however large it is. Each read waits at most
/// client_body_timeout; the body may not exceed client_max_body_size.
/// </summary>
internal static class RequestBodyBuffer
{
    private const int ReadSize = 16 * 1024;

    /// <summary>
    /// The body, or — when it could not be read — the status saying why: 413 over client_max_body_size, 400 for a
    /// malformed chunked body, 408 when the client stopped sending (the connection is closed), 499 when it went away.
    /// </summary>
    public static async Task<(RequestBody? Body, int Status)> ReadAsync(RequestContext request, long maxBody)
    {
        var http = request.Http;
        var core = request.Location.Core;
        var declared = http.Request.ContentLength;
        var held = new byte[(int)Math.Min(Math.Max(1, core.ClientBodyBufferSize), declared ?? core.ClientBodyBufferSize)];
        var heldLength = 0;
        SafeFileHandle? file = null;
        long total = 0;
        var chunk = ArrayPool<byte>.Shared.Rent(ReadSize);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        try
        {
            while (true)
            {
                timeout.CancelAfter(core.ClientBodyTimeout);
                var read = await http.Request.Body.ReadAsync(chunk.AsMemory(0, ReadSize), timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                total += read;
                request.BodyBytesRead = total;
                if (maxBody > 0 && total > maxBody)
                {
                    request.ErrorLog.Write(LogLevel.Error, $"client intended to send too large chunked body: {total} bytes{RequestLimits.Context(request)}");
                    file?.Dispose();
                    return (null, 413);
                }

                if (file is null && heldLength + read <= held.Length)
                {
                    chunk.AsSpan(0, read).CopyTo(held.AsSpan(heldLength));
                    heldLength += read;
                    continue;
                }

                try
                {
                    if (file is null)
                    {
                        file = await CreateFileAsync(request, core.ClientBodyTemp).ConfigureAwait(false);
                        await RandomAccess.WriteAsync(file, held.AsMemory(0, heldLength), 0).ConfigureAwait(false);
                    }

                    await RandomAccess.WriteAsync(file, chunk.AsMemory(0, read), total - read).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The disk, not the client: nginx answers 500.
                    var (errno, text) = Hosting.Errno.From(e);
                    request.ErrorLog.Write(LogLevel.Crit, $"{(file is null ? "open()" : "write()")} \"{core.ClientBodyTemp.Path}/…\" failed ({errno}: {text}){RequestLimits.Context(request)}");
                    file?.Dispose();
                    return (null, 500);
                }
            }
        }
        catch (BadHttpRequestException e)
        {
            file?.Dispose();
            request.ErrorLog.Write(LogLevel.Info, $"client sent invalid chunked body{RequestLimits.Context(request)}");
            return (null, e.StatusCode);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            file?.Dispose();
            return (null, ProxyHandler.ClientBodyFailed(request, timedOut: !http.RequestAborted.IsCancellationRequested && e is OperationCanceledException));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        if (file is null)
        {
            return (RequestBody.Buffered(heldLength == held.Length ? held : held[..heldLength]), 0);
        }

        // Closed when the request ends, whatever its attempts did.
        http.Response.RegisterForDispose(file);
        return (RequestBody.InFile(file, total), 0);
    }

    private static async Task<SafeFileHandle> CreateFileAsync(RequestContext request, TempFileDirectory directory)
    {
        // open(2) and unlink(2) off the socket thread that runs this request (and others).
        var (file, name) = await Task.Run(() => (directory.Create(out var path), path)).ConfigureAwait(false);
        request.ErrorLog.Write(LogLevel.Warn, $"a client request body is buffered to a temporary file {name}{RequestLimits.Context(request)}");
        return file;
    }
}
