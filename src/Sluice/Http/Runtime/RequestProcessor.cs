using Microsoft.AspNetCore.Http;
using Sluice.Core;
using Sluice.Http.Configuration;
using Sluice.Http.Routing;
using Sluice.Http.StaticFiles;

namespace Sluice.Http.Runtime;

/// <summary>
/// Runs one request through nginx's phases: choose the virtual server, normalize the URI, server-level
/// rewrite, find the location, then the location's handlers in phase order (rewrite, access, try_files,
/// content) with internal redirects and <c>error_page</c>; static files when nothing else answers.
/// </summary>
public static class RequestProcessor
{
    /// <summary>nginx allows ten URI changes per request (<c>NGX_HTTP_MAX_URI_CHANGES</c>).</summary>
    private const int MaxUriChanges = 10;

    /// <remarks>
    /// The request path is written so that only the frames that really wait allocate: phases that finish
    /// synchronously (nearly all but the content handler) are not awaited, and the content handler's task is
    /// handed up as it is when nothing runs after it.
    /// </remarks>
    public static ValueTask ProcessAsync(RequestContext request, SocketRuntime socket)
    {
        var http = request.Http;
        request.Address = socket.For(request.Connection?.Local?.Address ?? http.Connection.LocalIpAddress);

        string? host = null;
        var hostValid = true;
        if (http.Request.Headers.TryGetValue("Host", out var hostHeader) && hostHeader.Count > 0)
        {
            host = request.ValidateHost(hostHeader[0] ?? "");
            hostValid = host is not null;
        }

        request.HostHeader = host;
        request.Server = request.Address.Servers.Find(host ?? "", out var serverMatch, out var serverRegex);
        request.Location = request.Server.ServerLocation;
        if (serverMatch is not null)
        {
            request.SetCaptures(serverMatch, serverRegex!);
        }

        if (RequestLimits.CheckHead(request) is var tooLarge and not 0)
        {
            return new ValueTask(FinalizeAsync(request, tooLarge));
        }

        if (!hostValid || !TryParseTarget(request))
        {
            return new ValueTask(FinalizeAsync(request, 400));
        }

        var serverPhases = RunPhases(request, request.Server.ServerLocation, HttpPhase.ServerRewrite, HttpPhase.ServerRewrite);
        return serverPhases.IsCompletedSuccessfully
            ? AfterServerRewrite(request, serverPhases.Result)
            : AfterServerRewriteAsync(request, serverPhases);
    }

    private static ValueTask AfterServerRewrite(RequestContext request, PhaseOutcome outcome) => outcome.Kind switch
    {
        PhaseOutcomeKind.Finalize => new ValueTask(FinalizeAsync(request, outcome.Status)),
        PhaseOutcomeKind.Done => ValueTask.CompletedTask,
        _ => RunLocationAsync(request),
    };

    private static async ValueTask AfterServerRewriteAsync(RequestContext request, ValueTask<PhaseOutcome> pending) =>
        await AfterServerRewrite(request, await pending.ConfigureAwait(false)).ConfigureAwait(false);

    private static bool TryParseTarget(RequestContext request)
    {
        var target = request.RawTarget;
        if (!target.StartsWith('/'))
        {
            // Absolute form: the host of the request line wins over the Host header, as in nginx.
            if (!Uri.TryCreate(target, UriKind.Absolute, out var absolute) || absolute.Scheme is not ("http" or "https"))
            {
                return false;
            }

            request.HostHeader = HostHeader.ValidateHost(absolute.Authority);
            target = absolute.PathAndQuery;
        }

        var mergeSlashes = request.Server.ServerLocation.Core.MergeSlashes;
        if (!(ReferenceEquals(target, request.RawTarget)
                ? request.TryParseTarget(target, mergeSlashes, out var parsed)
                : NginxUri.TryParse(target, mergeSlashes, out parsed)))
        {
            return false;
        }

        request.Uri = parsed.Path;
        request.Args = parsed.Args;
        return true;
    }

    /// <summary>Finds the location for the current URI and runs it; loops on internal redirects.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask RunLocationAsync(RequestContext request)
    {
        while (true)
        {
            var match = request.Server.Locations.Find(request.Uri);
            if (match.Kind == LocationMatchKind.AutoRedirect)
            {
                request.Location = match.Location!;
                var location = request.Uri + "/" + (string.IsNullOrEmpty(request.Args) ? "" : "?" + request.Args);
                await SpecialResponse.RedirectAsync(request, 301, location).ConfigureAwait(false);
                return;
            }

            request.Location = match.Location ?? request.Server.ServerLocation;
            if (match.RegexMatch is not null)
            {
                request.SetCaptures(match.RegexMatch, match.Regex!);
            }

            if (request.Location.Internal && !request.IsInternal)
            {
                await FinalizeAsync(request, 404).ConfigureAwait(false);
                return;
            }

            // nginx checks the declared body against the location's limit as soon as the location is found.
            if (RequestLimits.BodyTooLarge(request))
            {
                await FinalizeAsync(request, 413).ConfigureAwait(false);
                return;
            }

            var phases = RunLocationPhases(request);
            var outcome = phases.IsCompletedSuccessfully ? phases.Result : await phases.ConfigureAwait(false);
            switch (outcome.Kind)
            {
                case PhaseOutcomeKind.Done:
                    return;
                case PhaseOutcomeKind.Finalize:
                    await FinalizeAsync(request, outcome.Status).ConfigureAwait(false);
                    return;
                case PhaseOutcomeKind.Redirect:
                    if (!NextUriChange(request))
                    {
                        await FinalizeAsync(request, 500).ConfigureAwait(false);
                        return;
                    }

                    continue;
                default:
                    var fallback = await StaticFileHandler.Instance.ExecuteAsync(request).ConfigureAwait(false);
                    if (fallback.Kind == PhaseOutcomeKind.Redirect)
                    {
                        if (!NextUriChange(request))
                        {
                            await FinalizeAsync(request, 500).ConfigureAwait(false);
                            return;
                        }

                        continue;
                    }

                    if (fallback.Kind == PhaseOutcomeKind.Finalize)
                    {
                        await FinalizeAsync(request, fallback.Status).ConfigureAwait(false);
                    }

                    return;
            }
        }
    }

    /// <summary>
    /// The location's phases. A true <c>if</c> in the rewrite phase switches the request to the if's implicit
    /// location for the later phases; that location keeps the found location's content handler unless it has
    /// its own (nginx keeps <c>r-&gt;content_handler</c>).
    /// </summary>
    private static ValueTask<PhaseOutcome> RunLocationPhases(RequestContext request)
    {
        var found = request.Location;
        var rewrite = RunPhases(request, found, HttpPhase.Rewrite, HttpPhase.Rewrite);
        return rewrite.IsCompletedSuccessfully ? AfterRewrite(request, found, rewrite.Result) : AfterRewriteAsync(request, found, rewrite);
    }

    private static ValueTask<PhaseOutcome> AfterRewrite(RequestContext request, LocationRuntime found, PhaseOutcome outcome)
    {
        if (outcome.Kind != PhaseOutcomeKind.Next)
        {
            return new ValueTask<PhaseOutcome>(outcome);
        }

        var current = request.Location;
        var access = RunPhases(request, current, HttpPhase.PreAccess, HttpPhase.TryFiles);
        return access.IsCompletedSuccessfully ? AfterAccess(request, found, current, access.Result) : AfterAccessAsync(request, found, current, access);
    }

    private static ValueTask<PhaseOutcome> AfterAccess(RequestContext request, LocationRuntime found, LocationRuntime current, PhaseOutcome outcome)
    {
        if (outcome.Kind != PhaseOutcomeKind.Next)
        {
            return new ValueTask<PhaseOutcome>(outcome);
        }

        var content = HasContentHandler(current) || ReferenceEquals(current, found) ? current : found;
        return RunPhases(request, content, HttpPhase.Content, HttpPhase.Content);
    }

    private static async ValueTask<PhaseOutcome> AfterRewriteAsync(RequestContext request, LocationRuntime found, ValueTask<PhaseOutcome> pending) =>
        await AfterRewrite(request, found, await pending.ConfigureAwait(false)).ConfigureAwait(false);

    private static async ValueTask<PhaseOutcome> AfterAccessAsync(RequestContext request, LocationRuntime found, LocationRuntime current, ValueTask<PhaseOutcome> pending) =>
        await AfterAccess(request, found, current, await pending.ConfigureAwait(false)).ConfigureAwait(false);

    private static bool HasContentHandler(LocationRuntime location)
    {
        foreach (var handler in location.Handlers)
        {
            if (handler.Phase == HttpPhase.Content)
            {
                return true;
            }
        }

        return false;
    }

    private static bool NextUriChange(RequestContext request)
    {
        request.IsInternal = true;
        if (++request.InternalRedirects > MaxUriChanges)
        {
            request.ErrorLog.Write(LogLevel.Error, $"rewrite or internal redirection cycle while internally redirecting to \"{request.Uri}\"");
            return false;
        }

        return true;
    }

    /// <summary>
    /// The handlers of the given phases, in order, until one decides. Handlers that finish synchronously are
    /// not awaited; a pending one is handed up as it is when no handler of these phases follows it.
    /// </summary>
    private static ValueTask<PhaseOutcome> RunPhases(RequestContext request, LocationRuntime location, HttpPhase first, HttpPhase last)
    {
        var handlers = location.Handlers;
        for (var i = 0; i < handlers.Length; i++)
        {
            var handler = handlers[i];
            if (handler.Phase < first || handler.Phase > last)
            {
                continue;
            }

            var pending = handler.ExecuteAsync(request);
            if (!pending.IsCompletedSuccessfully)
            {
                return HasHandlerAfter(handlers, i, first, last) ? RunPhasesAfterAsync(request, location, first, last, i, pending) : pending;
            }

            var outcome = pending.Result;
            if (outcome.Kind != PhaseOutcomeKind.Next)
            {
                return new ValueTask<PhaseOutcome>(outcome);
            }
        }

        return new ValueTask<PhaseOutcome>(PhaseOutcome.Next);
    }

    private static bool HasHandlerAfter(PhaseHandler[] handlers, int index, HttpPhase first, HttpPhase last)
    {
        for (var i = index + 1; i < handlers.Length; i++)
        {
            if (handlers[i].Phase >= first && handlers[i].Phase <= last)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The rest of <see cref="RunPhases"/> once handler <paramref name="index"/> had to wait.</summary>
    private static async ValueTask<PhaseOutcome> RunPhasesAfterAsync(RequestContext request, LocationRuntime location, HttpPhase first, HttpPhase last, int index, ValueTask<PhaseOutcome> pending)
    {
        var outcome = await pending.ConfigureAwait(false);
        if (outcome.Kind != PhaseOutcomeKind.Next)
        {
            return outcome;
        }

        var handlers = location.Handlers;
        for (var i = index + 1; i < handlers.Length; i++)
        {
            var handler = handlers[i];
            if (handler.Phase < first || handler.Phase > last)
            {
                continue;
            }

            outcome = await handler.ExecuteAsync(request).ConfigureAwait(false);
            if (outcome.Kind != PhaseOutcomeKind.Next)
            {
                return outcome;
            }
        }

        return PhaseOutcome.Next;
    }

    /// <summary>A redirect answer (return, rewrite): the Location header, then nginx's special response for the code.</summary>
    public static Task RedirectAsync(RequestContext request, int status, string location)
    {
        request.Http.Response.Headers.Location = location;
        return FinalizeAsync(request, status);
    }

    /// <summary>
    /// nginx's <c>ngx_http_send_response</c> for a text (<c>return 200 "OK"</c>): the text as body, typed by the
    /// URI's extension or <c>default_type</c>; a 204 has no body.
    /// </summary>
    public static async Task SendTextAsync(RequestContext request, int status, string text)
    {
        var response = request.Http.Response;
        SpecialResponse.SetStatus(request, status);
        if (status == 204)
        {
            await response.StartAsync().ConfigureAwait(false);
            return;
        }

        response.Headers.ContentType = StaticFileHandler.ContentType(request);
        // The text may hold bytes that are not UTF-8 ($uri of "%E9"): they go out as themselves, as nginx sends them.
        var bytes = Variables.RawBytes.GetBytes(text);
        response.ContentLength = bytes.Length;
        if (HttpMethods.IsHead(request.Http.Request.Method))
        {
            await response.StartAsync().ConfigureAwait(false);
            return;
        }

        await response.Body.WriteAsync(bytes).ConfigureAwait(false);
        request.BodyBytesSent += bytes.Length;
    }

    /// <summary>
    /// Ends a request with a status (nginx's <c>ngx_http_finalize_request</c> with a special code): an
    /// <c>error_page</c> for it redirects once (more with <c>recursive_error_pages</c>), else the built-in page.
    /// </summary>
    public static async Task FinalizeAsync(RequestContext request, int status)
    {
        if (request.Http.Response.HasStarted)
        {
            return;
        }

        SpecialResponse.DropKeepalive(request, status);
        var core = request.Location.Core;
        if ((!request.ErrorPageUsed || core.RecursiveErrorPages) && core.ErrorPages.TryGetValue(status, out var page) && request.InternalRedirects < MaxUriChanges)
        {
            request.ErrorPageUsed = true;
            var statusToSend = page.Overwrite ?? status;
            var target = request.Runtime.Variables.Compile(page.Uri).Render(request);
            if (target.StartsWith('/') || target.StartsWith('@'))
            {
                request.ErrorStatus = statusToSend;
                if (!HttpMethods.IsHead(request.Http.Request.Method))
                {
                    request.Http.Request.Method = HttpMethods.Get;
                }

                request.IsInternal = true;
                request.InternalRedirects++;
                if (target.StartsWith('@'))
                {
                    if (!request.Server.Locations.Named.TryGetValue(target, out var named))
                    {
                        request.ErrorLog.Write(LogLevel.Error, $"could not find named location \"{target}\"");
                        await SpecialResponse.SendAsync(request, 500).ConfigureAwait(false);
                        return;
                    }

                    request.Location = named;
                    await RunNamedAsync(request, named).ConfigureAwait(false);
                    return;
                }

                var question = page.Args is null && target.Contains('?', StringComparison.Ordinal) ? target.IndexOf('?', StringComparison.Ordinal) : -1;
                request.Uri = question >= 0 ? target[..question] : target;
                request.Args = question >= 0 ? target[(question + 1)..] : page.Args;
                await RunLocationAsync(request).ConfigureAwait(false);
                return;
            }

            // An error_page to a URL is a redirect: 302 unless a redirect code was given with '='.
            var redirect = statusToSend is 301 or 302 or 303 or 307 or 308 ? statusToSend : 302;
            await SpecialResponse.RedirectAsync(request, redirect, target).ConfigureAwait(false);
            return;
        }

        await SpecialResponse.SendAsync(request, status).ConfigureAwait(false);
    }

    private static async Task RunNamedAsync(RequestContext request, LocationRuntime named)
    {
        var outcome = await RunPhases(request, named, HttpPhase.Rewrite, HttpPhase.Content).ConfigureAwait(false);
        switch (outcome.Kind)
        {
            case PhaseOutcomeKind.Finalize:
                await FinalizeAsync(request, outcome.Status).ConfigureAwait(false);
                return;
            case PhaseOutcomeKind.Redirect:
                await RunLocationAsync(request).ConfigureAwait(false);
                return;
            case PhaseOutcomeKind.Next:
                var fallback = await StaticFileHandler.Instance.ExecuteAsync(request).ConfigureAwait(false);
                if (fallback.Kind == PhaseOutcomeKind.Finalize)
                {
                    await FinalizeAsync(request, fallback.Status).ConfigureAwait(false);
                }

                return;
        }
    }
}
