using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Sluice.Http.Routing;

namespace Sluice.Http.Runtime;

/// <summary>
/// The state of one request while Sluice handles it: where it arrived, which server and location took
/// it, the normalized URI, regex captures, timings, and what the log phase needs. One per request;
/// reset and reused across the requests of a connection.
/// </summary>
public sealed class RequestContext
{
    public HttpContext Http { get; private set; } = null!;

    public HttpRuntime Runtime { get; private set; } = null!;

    public ConnectionState? Connection { get; private set; }

    public AddressRuntime Address { get; set; } = null!;

    public ServerRuntime Server { get; set; } = null!;

    public LocationRuntime Location { get; set; } = null!;

    /// <summary>The normalized URI (<c>$uri</c>); changes with rewrites and internal redirects.</summary>
    public string Uri { get; set; } = "/";

    /// <summary>The query string (<c>$args</c>), without '?'; null when the request had none.</summary>
    public string? Args { get; set; }

    /// <summary>The request target as received (<c>$request_uri</c>).</summary>
    public string RawTarget { get; private set; } = "/";

    /// <summary>The validated, lowercased Host header without port; null when absent or invalid.</summary>
    public string? HostHeader { get; set; }

    /// <summary>Captures of the last regex that matched (location, server name, rewrite, if).</summary>
    public Match? Captures { get; private set; }

    /// <summary>The named groups of the regex behind <see cref="Captures"/>, with their PCRE numbers.</summary>
    public IReadOnlyDictionary<string, int>? CaptureNames { get; private set; }

    public void SetCaptures(Match match, Regex regex)
    {
        Captures = match;
        CaptureNames = Sluice.Configuration.Values.NginxRegex.NamedGroups(regex);
    }

    /// <summary>
    /// A named capture of the last match, by its (case-insensitive) name: empty when its regex matched without it
    /// (nginx sets every named capture of a matching regex), null when that regex has no such group.
    /// </summary>
    public string? NamedCapture(string name)
    {
        if (Captures is not { } m || CaptureNames is null)
        {
            return null;
        }

        foreach (var (group, number) in CaptureNames)
        {
            if (group.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return number < m.Groups.Count && m.Groups[number].Success ? m.Groups[number].Value : "";
            }
        }

        return null;
    }

    public long StartTimestamp { get; private set; }

    /// <summary>The status sent (or to be logged); 0 until known.</summary>
    public int Status { get; set; }

    /// <summary>What arrived of a request line that never ended (client_header_timeout): <c>$request</c> is that.</summary>
    public string? IncompleteRequestLine { get; set; }

    public int InternalRedirects { get; set; }

    /// <summary>
    /// The status an <c>error_page</c> redirect answers with (nginx's <c>err_status</c>): whatever the
    /// target location produces is sent with it. 0 when none.
    /// </summary>
    public int ErrorStatus { get; set; }

    /// <summary>An error_page already redirected this request (only once, unless recursive_error_pages).</summary>
    public bool ErrorPageUsed { get; set; }

    /// <summary>True when the URI was changed by an internal redirect (error_page, try_files, rewrite).</summary>
    public bool IsInternal { get; set; }

    /// <summary>The request target had percent-escapes (nginx's <c>quoted_uri</c>): a proxied URI is escaped again.</summary>
    public bool QuotedUri { get; set; }

    /// <summary>
    /// False once a <c>rewrite … break</c> changed the URI inside the location (nginx's <c>valid_location</c>):
    /// proxy_pass then sends the whole changed URI instead of replacing the location prefix.
    /// </summary>
    public bool ValidLocation { get; set; } = true;

    /// <summary>Variables set with <c>set</c> during this request.</summary>
    public Dictionary<string, string>? SetVariables { get; set; }

    /// <summary>Per-request data of features (upstream attempts, limit_req status, …).</summary>
    public Dictionary<Type, object>? Items { get; private set; }

    /// <summary>Body bytes written to the client (<c>$body_bytes_sent</c>), kept by the response writer.</summary>
    public long BodyBytesSent { get; set; }

    /// <summary>The response is complete and the request is being logged (nginx's log phase).</summary>
    public bool Finished { get; set; }

    /// <summary>The handler finished its response while the client was still connected (<c>$request_completion</c>).</summary>
    public bool HandlerCompleted { get; set; }

    /// <summary>
    /// Request body bytes a handler read (the proxy), for <c>$request_length</c>: nginx counts the body it reads,
    /// not one it discards unread.
    /// </summary>
    public long BodyBytesRead { get; set; }

    private Proxy.Runtime.UpstreamState? _upstream;
    private bool _proxied;

    /// <summary>The upstream attempts of this request; null when it was not proxied.</summary>
    public Proxy.Runtime.UpstreamState? Upstream => _proxied ? _upstream : null;

    /// <summary>Starts the upstream part of the request, reusing the state of the connection's previous request.</summary>
    public Proxy.Runtime.UpstreamState BeginUpstream()
    {
        _upstream ??= new Proxy.Runtime.UpstreamState();
        _upstream.Reset();
        _proxied = true;
        return _upstream;
    }

    // Kestrel hands out the very same string for a request target or a known header whose bytes did not change
    // since the connection's previous request, so what was derived from them is kept with them: a keep-alive
    // client repeating its Host and URI costs no validation, parsing or allocation.
    private string? _rawHost;
    private string? _validatedHost;
    private string? _parsedTarget;
    private bool _parsedMergeSlashes;
    private ParsedUri _parsed;

    /// <summary><see cref="Routing.HostHeader.ValidateHost"/>, remembered for the connection's next request.</summary>
    internal string? ValidateHost(string raw)
    {
        if (!ReferenceEquals(raw, _rawHost))
        {
            _validatedHost = Routing.HostHeader.ValidateHost(raw);
            _rawHost = raw;
        }

        return _validatedHost;
    }

    /// <summary><see cref="NginxUri.TryParse"/> of an origin-form target, remembered for the connection's next request.</summary>
    internal bool TryParseTarget(string target, bool mergeSlashes, out ParsedUri parsed)
    {
        if (!ReferenceEquals(target, _parsedTarget) || mergeSlashes != _parsedMergeSlashes)
        {
            if (!NginxUri.TryParse(target, mergeSlashes, out _parsed))
            {
                _parsedTarget = null;
                parsed = default;
                return false;
            }

            _parsedTarget = target;
            _parsedMergeSlashes = mergeSlashes;
        }

        parsed = _parsed;
        return true;
    }

    /// <summary>The HttpContext object, kept across the requests of a connection (Kestrel keeps this RequestContext).</summary>
    internal Microsoft.AspNetCore.Http.DefaultHttpContext? ReusableHttp { get; set; }

    public void Start(HttpContext http, HttpRuntime runtime, ConnectionState? connection, string rawTarget)
    {
        Http = http;
        Runtime = runtime;
        Connection = connection;
        RawTarget = rawTarget;
        StartTimestamp = Stopwatch.GetTimestamp();
        Uri = "/";
        Args = null;
        HostHeader = null;
        Captures = null;
        CaptureNames = null;
        Status = 0;
        IncompleteRequestLine = null;
        InternalRedirects = 0;
        ErrorStatus = 0;
        QuotedUri = rawTarget.Contains('%', StringComparison.Ordinal);
        ValidLocation = true;
        ErrorPageUsed = false;
        IsInternal = false;
        SetVariables = null;
        Items = null;
        BodyBytesSent = 0;
        BodyBytesRead = 0;
        Finished = false;
        HandlerCompleted = false;
        _proxied = false;
    }

    /// <summary>Where this request's errors go: the current location's error log.</summary>
    public Logging.ErrorLog ErrorLog => Location?.Core.ErrorLog ?? Runtime.ErrorLog;

    public T? Item<T>()
        where T : class => Items is not null && Items.TryGetValue(typeof(T), out var value) ? (T)value : null;

    public void SetItem<T>(T value)
        where T : class => (Items ??= [])[typeof(T)] = value;

    /// <summary>$1…$9 of the last regex match; empty when it has no such group.</summary>
    public string Capture(int number) =>
        Captures is { } m && number < m.Groups.Count && m.Groups[number].Success ? m.Groups[number].Value : "";

    /// <summary>Seconds since the request started, as <c>$request_time</c> counts them.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(StartTimestamp);
}
