using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Sluice.Http.Runtime;

namespace Sluice.Http.StaticFiles;

public enum RangeKind
{
    /// <summary>No usable Range header: send everything.</summary>
    None,
    OneRange,
    SeveralRanges,
    Unsatisfiable,
}

/// <summary>The ranges to send (inclusive start and end).</summary>
public readonly record struct RangeSet(RangeKind Kind, IReadOnlyList<(long Start, long End)> Ranges);

/// <summary>nginx's range filter: <c>bytes=a-b,c-,-n</c>, If-Range, <c>max_ranges</c>, multipart/byteranges.</summary>
public static class ByteRanges
{
    /// <summary>nginx's range header filter and <c>ngx_http_range_parse</c>, for a 200 response of <paramref name="length"/> bytes.</summary>
    public static RangeSet Parse(IHeaderDictionary headers, long length, DateTimeOffset lastModified, string? etag, long? maxRanges)
    {
        var none = new RangeSet(RangeKind.None, []);
        if (maxRanges == 0 || !headers.TryGetValue(HeaderNames.Range, out var header))
        {
            return none;
        }

        var text = header.ToString();
        if (text.Length < 7 || !text.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return none;
        }

        if (headers.TryGetValue(HeaderNames.IfRange, out var ifRangeHeader))
        {
            var ifRange = ifRangeHeader.ToString();
            if (ifRange.Length >= 2 && ifRange[^1] == '"')
            {
                if (etag is null || ifRange != etag)
                {
                    return none;
                }
            }
            else if (!HeaderUtilities.TryParseDate(ifRange, out var date) || date != lastModified)
            {
                return none;
            }
        }

        var ranges = new List<(long, long)>();
        var budget = maxRanges ?? long.MaxValue;
        long size = 0;
        var p = 6;
        char At(int i) => i < text.Length ? text[i] : '\0';

        while (true)
        {
            long start = 0;
            long end = 0;
            var suffix = false;
            while (At(p) == ' ')
            {
                p++;
            }

            if (At(p) != '-')
            {
                if (!char.IsAsciiDigit(At(p)) || !ReadNumber(text, ref p, out start))
                {
                    return new RangeSet(RangeKind.Unsatisfiable, []);
                }

                while (At(p) == ' ')
                {
                    p++;
                }

                if (At(p++) != '-')
                {
                    return new RangeSet(RangeKind.Unsatisfiable, []);
                }

                while (At(p) == ' ')
                {
                    p++;
                }

                if (At(p) is ',' or '\0')
                {
                    end = length;
                    goto Found;
                }
            }
            else
            {
                suffix = true;
                p++;
            }

            if (!char.IsAsciiDigit(At(p)) || !ReadNumber(text, ref p, out end))
            {
                return new RangeSet(RangeKind.Unsatisfiable, []);
            }

            while (At(p) == ' ')
            {
                p++;
            }

            if (At(p) is not (',' or '\0'))
            {
                return new RangeSet(RangeKind.Unsatisfiable, []);
            }

            if (suffix)
            {
                start = end < length ? length - end : 0;
                end = length - 1;
            }

            end = end >= length ? length : end + 1;

        Found:
            if (start < end)
            {
                ranges.Add((start, end - 1));
                size += end - start;
                if (budget-- == 0)
                {
                    return none;
                }
            }
            else if (start == 0)
            {
                return none;
            }

            if (At(p++) != ',')
            {
                break;
            }
        }

        if (ranges.Count == 0)
        {
            return new RangeSet(RangeKind.Unsatisfiable, []);
        }

        if (size > length)
        {
            return none;
        }

        return new RangeSet(ranges.Count == 1 ? RangeKind.OneRange : RangeKind.SeveralRanges, ranges);
    }

    private static bool ReadNumber(string text, ref int p, out long value)
    {
        value = 0;
        const long cutoff = long.MaxValue / 10;
        const long cutlim = long.MaxValue % 10;
        while (p < text.Length && char.IsAsciiDigit(text[p]))
        {
            var digit = text[p] - '0';
            if (value >= cutoff && (value > cutoff || digit > cutlim))
            {
                return false;
            }

            value = (value * 10) + digit;
            p++;
        }

        return true;
    }

    /// <summary>A multipart/byteranges body with nginx's boundary layout.</summary>
    public static async Task SendMultipartAsync(RequestContext request, FileInfo file, IReadOnlyList<(long Start, long End)> ranges, string contentType, bool isHead)
    {
        var boundary = Random.Shared.NextInt64(1_000_000_000L, 9_999_999_999L).ToString("D20", CultureInfo.InvariantCulture);
        var parts = new List<(byte[] Header, long Start, long Length)>();
        long total = 0;
        foreach (var (start, end) in ranges)
        {
            var head = Encoding.ASCII.GetBytes($"\r\n--{boundary}\r\nContent-Type: {contentType}\r\nContent-Range: bytes {start}-{end}/{file.Length}\r\n\r\n");
            parts.Add((head, start, end - start + 1));
            total += head.Length + end - start + 1;
        }

        var closing = Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n");
        total += closing.Length;
        var response = request.Http.Response;
        SpecialResponse.SetStatus(request, 206);
        response.ContentType = $"multipart/byteranges; boundary={boundary}";
        response.ContentLength = total;
        if (isHead)
        {
            return;
        }

        var body = request.Http.Features.Get<IHttpResponseBodyFeature>()!;
        foreach (var (head, start, length) in parts)
        {
            await body.Stream.WriteAsync(head).ConfigureAwait(false);
            await body.SendFileAsync(file.FullName, start, length).ConfigureAwait(false);
        }

        await body.Stream.WriteAsync(closing).ConfigureAwait(false);
        request.BodyBytesSent += total;
    }
}
