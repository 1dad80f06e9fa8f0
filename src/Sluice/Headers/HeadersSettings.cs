using Sluice.Configuration.Directives;
using Sluice.Variables;

namespace Sluice.Headers;

/// <summary>Settings of nginx's <c>ngx_http_headers_filter_module</c>.</summary>
public static class HeadersSettings
{
    /// <summary><c>add_header</c> entries in order; a block with none of its own inherits its parent's list.</summary>
    public static readonly ListSetting<HeaderEntry> Headers = new("add_header");

    /// <summary><c>add_trailer</c> entries in order, inherited like <see cref="Headers"/>.</summary>
    public static readonly ListSetting<HeaderEntry> Trailers = new("add_trailer");

    /// <summary><c>expires</c>; null means not configured (nginx's "off").</summary>
    public static readonly Setting<ExpiresSpec?> Expires = new("expires", null);
}

/// <summary>
/// One <c>add_header</c>/<c>add_trailer</c>: the name, the value (an empty value means "add nothing"), and
/// <c>always</c>, which adds it to every status instead of only 200, 201, 204, 206, 301, 302, 303, 304, 307, 308.
/// </summary>
public sealed record HeaderEntry(string Name, VariableTemplate Value, bool Always);

/// <summary>What <c>expires</c> does to Expires and Cache-Control.</summary>
public enum ExpiresMode
{
    /// <summary><c>off</c>: leave the headers alone.</summary>
    Off,

    /// <summary><c>epoch</c>: Expires 1 Jan 1970, Cache-Control no-cache.</summary>
    Epoch,

    /// <summary><c>max</c>: Expires 31 Dec 2037, Cache-Control max-age 10 years.</summary>
    Max,

    /// <summary>A time relative to the request.</summary>
    Access,

    /// <summary><c>modified</c>: a time relative to the file's modification time.</summary>
    Modified,

    /// <summary><c>@time</c>: a time of day.</summary>
    Daily,
}

/// <summary>
/// An <c>expires</c> setting: the mode and its time in seconds (negative means "in the past"), or, when the value
/// has variables, the <see cref="Value"/> to evaluate and parse per request.
/// </summary>
public sealed record ExpiresSpec(ExpiresMode Mode, long Seconds, VariableTemplate? Value);
