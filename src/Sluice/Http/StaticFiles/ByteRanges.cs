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
    public static RangeSet Parse(IHeaderDictionary headers, long length, DateTimeOffset lastModified, string? etag, long? maxRanges)
    {
        if (!headers.TryGetValue(HeaderNames.Range, out var header) || maxRanges == 0)
        {
            return new RangeSet(RangeKind.None, []);
        }

        if (headers.TryGetValue(HeaderNames.IfRange, out var ifRange))
        {
            var value = ifRange.ToString();
            var matches = value.StartsWith('"') ? value == etag : HeaderUtilities.TryParseDate(value, out var date) && date == lastModified;
            if (!matches)
            {
                return new RangeSet(RangeKind.None, []);
            }
        }

        var text = header.ToString();
        if (!text.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return new RangeSet(RangeKind.None, []);
        }

        var ranges = new List<(long, long)>();
        var suffixTotal = 0L;
        foreach (var raw in text[6..].Split(','))
        {
            var part = raw.Trim();
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                return new RangeSet(RangeKind.None, []);
            }

            var startText = part[..dash].Trim();
            var endText = part[(dash + 1)..].Trim();
            long start;
            long end;
            if (startText.Length == 0)
            {
                if (!long.TryParse(endText, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix))
                {
                    return new RangeSet(RangeKind.None, []);
                }

                start = Math.Max(0, length - suffix);
                end = length - 1;
                if (suffix == 0)
                {
                    continue;
                }

                suffixTotal += suffix;
            }
            else
            {
                if (!long.TryParse(startText, NumberStyles.None, CultureInfo.InvariantCulture, out start))
                {
                    return new RangeSet(RangeKind.None, []);
                }

                if (endText.Length == 0)
                {
                    end = length - 1;
                }
                else if (!long.TryParse(endText, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start)
                {
                    return new RangeSet(RangeKind.None, []);
                }

                if (start >= length)
                {
                    continue;
                }

                end = Math.Min(end, length - 1);
            }

            ranges.Add((start, end));
            if (maxRanges is { } max && ranges.Count > max)
            {
                return new RangeSet(RangeKind.None, []);
            }
        }

        if (ranges.Count == 0)
        {
            return new RangeSet(RangeKind.Unsatisfiable, []);
        }

        return new RangeSet(ranges.Count == 1 ? RangeKind.OneRange : RangeKind.SeveralRanges, ranges);
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
