using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Sluice.Core;
using Sluice.Http.Configuration;
using Sluice.Http.Runtime;

namespace Sluice.Http.StaticFiles;

/// <summary>
/// nginx's default content: the index module for URIs ending in '/', and the static module for files —
/// <c>root</c>/<c>alias</c> mapping, 301 for a directory without its slash, 403 for a directory without
/// index, 404 for what does not exist, <c>types</c>/<c>default_type</c>, Last-Modified and ETag,
/// conditional requests (304/412) and byte ranges (206/416).
/// </summary>
public sealed class StaticFileHandler : PhaseHandler
{
    public static StaticFileHandler Instance { get; } = new();

    public override HttpPhase Phase => HttpPhase.Content;

    /// <summary>nginx's <c>ngx_http_map_uri_to_path</c>: the file a URI names under root or alias.</summary>
    public static string MapPath(RequestContext request)
    {
        var core = request.Location.Core;
        var root = core.Root?.Render(request) ?? "";
        if (!core.RootIsAlias)
        {
            return root + request.Uri;
        }

        if (request.Location.Kind == LocationKind.Regex)
        {
            // In a regex location the alias (with captures) is the whole path.
            return root;
        }

        var rest = core.AliasPrefixLength <= request.Uri.Length ? request.Uri[core.AliasPrefixLength..] : "";
        return root + rest;
    }

    public override async ValueTask<PhaseOutcome> ExecuteAsync(RequestContext request)
    {
        var method = request.Http.Request.Method;
        var isHead = HttpMethods.IsHead(method);
        if (!HttpMethods.IsGet(method) && !isHead && !HttpMethods.IsPost(method))
        {
            return PhaseOutcome.Finalize(405);
        }

        if (request.Uri.EndsWith('/'))
        {
            return IndexOrForbidden(request);
        }

        var path = MapPath(request);
        FileSystemInfo info;
        try
        {
            info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return NotFound(request, path, e);
        }

        if (info is DirectoryInfo)
        {
            var location = request.Uri + "/" + (string.IsNullOrEmpty(request.Args) ? "" : "?" + request.Args);
            await SpecialResponse.RedirectAsync(request, 301, location).ConfigureAwait(false);
            return PhaseOutcome.Done;
        }

        var file = (FileInfo)info;
        if (!file.Exists)
        {
            return NotFound(request, path, null);
        }

        if ((file.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) == FileAttributes.Device)
        {
            request.ErrorLog.Write(LogLevel.Crit, $"\"{path}\" is not a regular file");
            return PhaseOutcome.Finalize(404);
        }

        if (HttpMethods.IsPost(method))
        {
            return PhaseOutcome.Finalize(405);
        }

        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        }
        catch (UnauthorizedAccessException)
        {
            request.ErrorLog.Write(LogLevel.Error, $"open() \"{path}\" failed (13: Permission denied)");
            return PhaseOutcome.Finalize(403);
        }
        catch (IOException e)
        {
            return NotFound(request, path, e);
        }

        await SendFileAsync(request, file, isHead).ConfigureAwait(false);
        return PhaseOutcome.Done;
    }

    private static PhaseOutcome IndexOrForbidden(RequestContext request)
    {
        var directory = MapPath(request);
        foreach (var template in request.Location.Core.Index)
        {
            var index = template.Render(request);
            if (index.StartsWith('/'))
            {
                request.Uri = index;
                return PhaseOutcome.Redirect;
            }

            if (File.Exists(directory + index) || Directory.Exists(directory + index))
            {
                request.Uri += index;
                return PhaseOutcome.Redirect;
            }
        }

        if (!Directory.Exists(directory))
        {
            if (request.Location.Core.LogNotFound)
            {
                request.ErrorLog.Write(LogLevel.Error, $"\"{directory}{(request.Location.Core.Index.Count > 0 ? request.Location.Core.Index[0].Render(request) : "")}\" is not found (2: No such file or directory)");
            }

            return PhaseOutcome.Finalize(404);
        }

        request.ErrorLog.Write(LogLevel.Error, $"directory index of \"{directory}\" is forbidden");
        return PhaseOutcome.Finalize(403);
    }

    private static PhaseOutcome NotFound(RequestContext request, string path, Exception? e)
    {
        if (request.Location.Core.LogNotFound)
        {
            var reason = e is UnauthorizedAccessException ? "13: Permission denied" : "2: No such file or directory";
            request.ErrorLog.Write(LogLevel.Error, $"open() \"{path}\" failed ({reason})");
        }

        return PhaseOutcome.Finalize(e is UnauthorizedAccessException ? 403 : 404);
    }

    private static async Task SendFileAsync(RequestContext request, FileInfo file, bool isHead)
    {
        var core = request.Location.Core;
        var response = request.Http.Response;
        var headers = request.Http.Request.Headers;
        var length = file.Length;
        var lastModified = new DateTimeOffset(file.LastWriteTimeUtc.Ticks - (file.LastWriteTimeUtc.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var etag = core.Etag ? $"\"{lastModified.ToUnixTimeSeconds():x}-{length:x}\"" : null;

        response.Headers.ContentType = ContentType(request);
        response.Headers.LastModified = HeaderUtilities.FormatDate(lastModified);
        if (etag is not null)
        {
            response.Headers.ETag = etag;
        }

        var precondition = Conditional.Evaluate(headers, lastModified, etag, core.IfModifiedSince, request.Http.Request.Method);
        if (precondition != 0)
        {
            if (precondition == 304)
            {
                SpecialResponse.SetStatus(request, 304);
                response.Headers.ContentType = default;
                await response.StartAsync().ConfigureAwait(false);
                return;
            }

            await SpecialResponse.SendAsync(request, precondition).ConfigureAwait(false);
            return;
        }

        var ranges = ByteRanges.Parse(headers, length, lastModified, etag, core.MaxRanges);
        if (ranges.Kind == RangeKind.Unsatisfiable)
        {
            response.Headers.ContentRange = $"bytes */{length}";
            await SpecialResponse.SendAsync(request, 416).ConfigureAwait(false);
            return;
        }

        var body = request.Http.Features.Get<IHttpResponseBodyFeature>()!;
        if (ranges.Kind == RangeKind.OneRange)
        {
            var (start, end) = ranges.Ranges[0];
            SpecialResponse.SetStatus(request, 206);
            response.Headers.ContentRange = $"bytes {start}-{end}/{length}";
            response.ContentLength = end - start + 1;
            if (!isHead)
            {
                await body.SendFileAsync(file.FullName, start, end - start + 1).ConfigureAwait(false);
                request.BodyBytesSent += end - start + 1;
            }

            return;
        }

        if (ranges.Kind == RangeKind.SeveralRanges)
        {
            await ByteRanges.SendMultipartAsync(request, file, ranges.Ranges, response.Headers.ContentType.ToString(), isHead).ConfigureAwait(false);
            return;
        }

        SpecialResponse.SetStatus(request, 200);
        if (request.Status == 200)
        {
            // nginx's range filter advertises ranges on full 200 answers only.
            response.Headers.AcceptRanges = "bytes";
        }

        response.ContentLength = length;
        if (!isHead)
        {
            await body.SendFileAsync(file.FullName, 0, length).ConfigureAwait(false);
            request.BodyBytesSent += length;
        }
    }

    /// <summary>nginx's <c>ngx_http_set_content_type</c>: by the URI's extension (exact, then lowercased), else default_type.</summary>
    public static string ContentType(RequestContext request)
    {
        var core = request.Location.Core;
        var slash = request.Uri.LastIndexOf('/');
        var dot = request.Uri.LastIndexOf('.');
        if (dot > slash)
        {
            var extension = request.Uri[(dot + 1)..];
            if (core.Types.TryGetValue(extension, out var type) || core.Types.TryGetValue(extension.ToLowerInvariant(), out type))
            {
                return type;
            }
        }

        return core.DefaultType;
    }
}

/// <summary>nginx's not-modified filter: If-Unmodified-Since, If-Match, If-Modified-Since, If-None-Match.</summary>
internal static class Conditional
{
    /// <summary>
    /// nginx's not-modified filter: 0 to send the content, 304 or 412 otherwise. If-Unmodified-Since and If-Match
    /// first (a date that does not parse fails the precondition); then, when If-Modified-Since or If-None-Match is
    /// present, each one present must say "not modified" for a 304.
    /// </summary>
    public static int Evaluate(IHeaderDictionary headers, DateTimeOffset lastModified, string? etag, string ifModifiedSinceMode, string method)
    {
        if (headers.TryGetValue(HeaderNames.IfUnmodifiedSince, out var ius) && (!HeaderUtilities.TryParseDate(ius.ToString(), out var unmodifiedSince) || lastModified > unmodifiedSince))
        {
            return 412;
        }

        if (headers.TryGetValue(HeaderNames.IfMatch, out var ifMatch) && !MatchesEtag(ifMatch.ToString(), etag, weak: false))
        {
            return 412;
        }

        var hasIms = headers.TryGetValue(HeaderNames.IfModifiedSince, out var ims);
        var hasInm = headers.TryGetValue(HeaderNames.IfNoneMatch, out var inm);
        if (!hasIms && !hasInm)
        {
            return 0;
        }

        if (hasIms && IsModified(ims.ToString(), lastModified, ifModifiedSinceMode))
        {
            return 0;
        }

        if (hasInm && !MatchesEtag(inm.ToString(), etag, weak: true))
        {
            return 0;
        }

        return HttpMethods.IsGet(method) || HttpMethods.IsHead(method) ? 304 : 412;
    }

    /// <summary>
    /// nginx's <c>ngx_http_test_if_modified</c>: with if_modified_since off the answer is always "modified" (so an
    /// If-None-Match that matches does not make a 304 on its own); a date that does not parse is "modified".
    /// </summary>
    private static bool IsModified(string header, DateTimeOffset lastModified, string mode)
    {
        if (mode == "off" || !HeaderUtilities.TryParseDate(header, out var since))
        {
            return true;
        }

        return lastModified != since && (mode == "exact" || since < lastModified);
    }

    private static bool MatchesEtag(string header, string? etag, bool weak)
    {
        if (header.Trim() == "*")
        {
            return true;
        }

        if (etag is null)
        {
            return false;
        }

        foreach (var raw in header.Split(','))
        {
            var candidate = raw.Trim();
            if (weak && candidate.StartsWith("W/", StringComparison.Ordinal))
            {
                candidate = candidate[2..];
            }

            if (candidate == etag)
            {
                return true;
            }
        }

        return false;
    }
}
