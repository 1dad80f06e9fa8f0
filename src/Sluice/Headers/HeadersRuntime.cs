using System.Globalization;
using Microsoft.Net.Http.Headers;
using Sluice.Http.Runtime;
using Sluice.Variables;

namespace Sluice.Headers;

/// <summary>nginx's headers filter: <c>expires</c> and <c>add_header</c>, for the "safe" statuses unless <c>always</c>.</summary>
internal sealed class HeadersFeature : IHttpFeature
{
    public void BuildLocation(LocationBuildContext location)
    {
        var headers = location.GetList(HeadersSettings.Headers);
        var expires = location.Get(HeadersSettings.Expires);
        if (headers.Count == 0 && (expires is null || expires.Mode == ExpiresMode.Off))
        {
            return;
        }

        location.HeaderFilters.Add(new HeadersFilter(
            [.. headers.Select(h => (h.Name, location.Compile(h.Value), h.Always))],
            expires is { Mode: not ExpiresMode.Off } ? expires : null,
            expires?.Value is { } value ? location.Compile(value) : null));
    }
}

internal sealed class HeadersFilter : ResponseHeaderFilter
{
    private readonly (string Name, CompiledTemplate Value, bool Always)[] _headers;
    private readonly ExpiresSpec? _expires;
    private readonly CompiledTemplate? _expiresValue;

    public HeadersFilter((string, CompiledTemplate, bool)[] headers, ExpiresSpec? expires, CompiledTemplate? expiresValue)
    {
        _headers = headers;
        _expires = expires;
        _expiresValue = expiresValue;
    }

    public override void Apply(RequestContext request)
    {
        var response = request.Http.Response;
        var safe = response.StatusCode is 200 or 201 or 204 or 206 or 301 or 302 or 303 or 304 or 307 or 308;
        if (_expires is not null && safe)
        {
            SetExpires(request);
        }

        foreach (var (name, template, always) in _headers)
        {
            if (!safe && !always)
            {
                continue;
            }

            var value = template.Render(request);
            if (value.Length == 0)
            {
                // nginx adds nothing for an empty value (and clears Last-Modified/ETag replacements).
                if (name.Equals("Last-Modified", StringComparison.OrdinalIgnoreCase) || name.Equals("ETag", StringComparison.OrdinalIgnoreCase))
                {
                    response.Headers[name] = default;
                }

                continue;
            }

            if (name.Equals("Last-Modified", StringComparison.OrdinalIgnoreCase) || name.Equals("ETag", StringComparison.OrdinalIgnoreCase))
            {
                response.Headers[name] = value;
                continue;
            }

            response.Headers[name] = Microsoft.Extensions.Primitives.StringValues.Concat(response.Headers[name], value);
        }
    }

    /// <summary>nginx's <c>ngx_http_set_expires</c>: Expires and Cache-Control from the mode and time.</summary>
    private void SetExpires(RequestContext request)
    {
        var spec = _expires!;
        if (_expiresValue is not null)
        {
            var parsed = ExpiresParser.Parse(_expiresValue.Render(request));
            if (parsed is null)
            {
                return;
            }

            spec = parsed;
        }

        var headers = request.Http.Response.Headers;
        switch (spec.Mode)
        {
            case ExpiresMode.Epoch:
                headers.Expires = "Thu, 01 Jan 1970 00:00:01 GMT";
                headers.CacheControl = "no-cache";
                return;
            case ExpiresMode.Max:
                headers.Expires = "Thu, 31 Dec 2037 23:55:55 GMT";
                headers.CacheControl = "max-age=315360000";
                return;
        }

        var now = request.Runtime.Time.GetUtcNow();
        var seconds = spec.Seconds;
        DateTimeOffset expires;
        if (spec.Mode == ExpiresMode.Modified && HeaderUtilities.TryParseDate(headers.LastModified.ToString(), out var lastModified))
        {
            expires = lastModified.AddSeconds(seconds);
            seconds = (long)(expires - now).TotalSeconds;
        }
        else if (spec.Mode == ExpiresMode.Daily)
        {
            var midnight = new DateTimeOffset(now.LocalDateTime.Date, now.ToLocalTime().Offset);
            expires = midnight.AddSeconds(spec.Seconds);
            if (expires <= now)
            {
                expires = expires.AddDays(1);
            }

            seconds = (long)(expires - now).TotalSeconds;
        }
        else
        {
            expires = now.AddSeconds(seconds);
        }

        headers.Expires = HeaderUtilities.FormatDate(expires);
        headers.CacheControl = seconds < 0 ? "no-cache" : "max-age=" + seconds.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>Parses an <c>expires</c> value computed per request (a value with variables).</summary>
internal static class ExpiresParser
{
    public static ExpiresSpec? Parse(string text)
    {
        switch (text)
        {
            case "epoch":
                return new ExpiresSpec(ExpiresMode.Epoch, 0, null);
            case "max":
                return new ExpiresSpec(ExpiresMode.Max, 0, null);
            case "off":
                return new ExpiresSpec(ExpiresMode.Off, 0, null);
        }

        var mode = ExpiresMode.Access;
        if (text.StartsWith("modified ", StringComparison.Ordinal))
        {
            mode = ExpiresMode.Modified;
            text = text[9..];
        }

        if (text.StartsWith('@'))
        {
            mode = ExpiresMode.Daily;
            text = text[1..];
        }

        var negative = text.StartsWith('-');
        if (negative || text.StartsWith('+'))
        {
            text = text[1..];
        }

        return Configuration.Values.NginxValues.TryParseSeconds(text, out var seconds)
            ? new ExpiresSpec(mode, negative ? -seconds : seconds, null)
            : null;
    }
}
