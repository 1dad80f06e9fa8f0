using System.Collections.Frozen;

namespace Sluice.Http.Runtime;

/// <summary>
/// nginx's wording for status codes: the reason phrase of the status line (<c>ngx_http_status_lines</c>)
/// and the title of its built-in error pages (which differ in a few places, e.g. 302 "Moved Temporarily"
/// on the status line but "Found" in the page).
/// </summary>
public static class StatusText
{
    private static readonly FrozenDictionary<int, string> StatusLines = new Dictionary<int, string>
    {
        [200] = "OK", [201] = "Created", [202] = "Accepted", [204] = "No Content", [206] = "Partial Content",
        [301] = "Moved Permanently", [302] = "Moved Temporarily", [303] = "See Other", [304] = "Not Modified",
        [307] = "Temporary Redirect", [308] = "Permanent Redirect",
        [400] = "Bad Request", [401] = "Unauthorized", [402] = "Payment Required", [403] = "Forbidden",
        [404] = "Not Found", [405] = "Not Allowed", [406] = "Not Acceptable", [408] = "Request Time-out",
        [409] = "Conflict", [410] = "Gone", [411] = "Length Required", [412] = "Precondition Failed",
        [413] = "Request Entity Too Large", [414] = "Request-URI Too Large", [415] = "Unsupported Media Type",
        [416] = "Requested Range Not Satisfiable", [421] = "Misdirected Request", [429] = "Too Many Requests",
        [500] = "Internal Server Error", [501] = "Not Implemented", [502] = "Bad Gateway",
        [503] = "Service Temporarily Unavailable", [504] = "Gateway Time-out", [505] = "HTTP Version Not Supported",
        [507] = "Insufficient Storage",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<int, string> PageTitles = new Dictionary<int, string>
    {
        [301] = "301 Moved Permanently", [302] = "302 Found", [303] = "303 See Other", [307] = "307 Temporary Redirect",
        [308] = "308 Permanent Redirect", [400] = "400 Bad Request", [401] = "401 Authorization Required",
        [402] = "402 Payment Required", [403] = "403 Forbidden", [404] = "404 Not Found", [405] = "405 Not Allowed",
        [406] = "406 Not Acceptable", [408] = "408 Request Time-out", [409] = "409 Conflict", [410] = "410 Gone",
        [411] = "411 Length Required", [412] = "412 Precondition Failed", [413] = "413 Request Entity Too Large",
        [414] = "414 Request-URI Too Large", [415] = "415 Unsupported Media Type", [416] = "416 Requested Range Not Satisfiable",
        [421] = "421 Misdirected Request", [429] = "429 Too Many Requests",
        [494] = "400 Request Header Or Cookie Too Large", [495] = "400 The SSL certificate error",
        [496] = "400 No required SSL certificate was sent", [497] = "400 The plain HTTP request was sent to HTTPS port",
        [500] = "500 Internal Server Error", [501] = "501 Not Implemented", [502] = "502 Bad Gateway",
        [503] = "503 Service Temporarily Unavailable", [504] = "504 Gateway Time-out", [505] = "505 HTTP Version Not Supported",
        [507] = "507 Insufficient Storage",
    }.ToFrozenDictionary();

    /// <summary>The reason phrase nginx puts on the status line; empty for codes it does not know.</summary>
    public static string ReasonPhrase(int status) => StatusLines.TryGetValue(status, out var text) ? text : "";

    /// <summary>The status a code is sent with: nginx's private 494–497 go out as 400.</summary>
    public static int WireStatus(int status) => status is >= 494 and <= 497 ? 400 : status;

    /// <summary>The title of the built-in page, or null when nginx has none for the code.</summary>
    public static string? PageTitle(int status) => PageTitles.TryGetValue(status, out var title) ? title : null;
}
