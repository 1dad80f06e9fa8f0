using System.Buffers.Text;
using System.Text;

namespace Sluice.Upstreams.Http1;

/// <summary>
/// The status line and header fields of an upstream's HTTP/1.x response, parsed from the bytes as nginx's
/// <c>ngx_http_parse_status_line</c> and <c>ngx_http_parse_header_line</c> accept them (LF or CRLF line ends,
/// underscores allowed, no NUL), with what decides the body's framing and the connection's reuse.
/// One instance per connection, reset for each response.
/// </summary>
public sealed class ResponseHead
{
    private List<KeyValuePair<string, string>> _headers = [];

    /// <summary>
    /// The previous head's fields: an upstream sends the same names and mostly the same values response
    /// after response, so a field whose bytes match the one in the same place last time reuses its strings.
    /// </summary>
    private List<KeyValuePair<string, string>> _previous = [];

    /// <summary>10 or 11: HTTP/1.0 or HTTP/1.1 (and later 1.x, which nginx treats as 1.1).</summary>
    public int Version { get; private set; }

    public int Status { get; private set; }

    public string Reason { get; private set; } = "";

    /// <summary>The header fields in the order received, as strings.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>-1 when there is no Content-Length.</summary>
    public long ContentLength { get; private set; } = -1;

    public bool Chunked { get; private set; }

    /// <summary>The upstream will close the connection after this response (Connection: close, or HTTP/1.0).</summary>
    public bool ConnectionClose { get; private set; }

    /// <summary>Why the head was refused (nginx's log text after "upstream sent "), when <see cref="Parse"/> said Invalid.</summary>
    public string? Error { get; private set; }

    /// <summary>The first value of a header field, by case-insensitive name; null when absent.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var (key, value) in _headers)
            {
                if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return value;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Parses a complete head from <paramref name="data"/>. Returns the head's length (status line through the
    /// empty line), 0 when more bytes are needed, -1 when the bytes are not a valid head (<see cref="Error"/>).
    /// </summary>
    public int Parse(ReadOnlySpan<byte> data)
    {
        var end = HeadEnd(data);
        if (end == 0)
        {
            return 0;
        }

        Reset();
        var lineEnd = data.IndexOf((byte)'\n');
        if (!ParseStatusLine(TrimCr(data[..lineEnd])))
        {
            Error = "no valid HTTP/1.0 header";
            return -1;
        }

        var position = lineEnd + 1;
        while (position < end)
        {
            var rest = data[position..];
            var length = rest.IndexOf((byte)'\n');
            var line = TrimCr(rest[..length]);
            position += length + 1;
            if (line.IsEmpty)
            {
                break;
            }

            if (!ParseField(line))
            {
                return -1;
            }
        }

        if (Chunked)
        {
            ContentLength = -1;
        }

        if (Version < 11)
        {
            ConnectionClose = true;
        }

        return end;
    }

    /// <summary>Where the empty line that ends the head ends (after its LF); 0 when it has not arrived.</summary>
    internal static int HeadEnd(ReadOnlySpan<byte> data)
    {
        var offset = 0;
        while (true)
        {
            var lf = data[offset..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                return 0;
            }

            var next = offset + lf + 1;
            if (next < data.Length && data[next] == '\n')
            {
                return next + 1;
            }

            if (next + 1 < data.Length && data[next] == '\r' && data[next + 1] == '\n')
            {
                return next + 2;
            }

            if (next + 1 >= data.Length)
            {
                return 0;
            }

            offset = next;
        }
    }

    private void Reset()
    {
        (_previous, _headers) = (_headers, _previous);
        _headers.Clear();
        Version = 0;
        Status = 0;
        ContentLength = -1;
        Chunked = false;
        ConnectionClose = false;
        Error = null;
    }

    /// <summary><c>HTTP/1.x NNN reason</c>; nginx also takes a status without a reason.</summary>
    private bool ParseStatusLine(ReadOnlySpan<byte> line)
    {
        if (line.Length < 12 || !line.StartsWith("HTTP/"u8) || line[5] is < (byte)'1' or > (byte)'9' || line[6] != '.')
        {
            return false;
        }

        var space = line.IndexOf((byte)' ');
        if (space < 8 || !Utf8Parser.TryParse(line[7..space], out int minor, out var consumed) || consumed != space - 7)
        {
            return false;
        }

        Version = line[5] == '1' && minor == 0 ? 10 : 11;
        var statusStart = space + 1;
        while (statusStart < line.Length && line[statusStart] == ' ')
        {
            statusStart++;
        }

        if (line.Length - statusStart < 3)
        {
            return false;
        }

        var status = line.Slice(statusStart, 3);
        if (!char.IsAsciiDigit((char)status[0]) || !char.IsAsciiDigit((char)status[1]) || !char.IsAsciiDigit((char)status[2]))
        {
            return false;
        }

        Status = ((status[0] - '0') * 100) + ((status[1] - '0') * 10) + (status[2] - '0');
        if (Status < 100)
        {
            return false;
        }

        var after = line[(statusStart + 3)..];
        if (!after.IsEmpty && after[0] != ' ')
        {
            return false;
        }

        var reason = after.IsEmpty ? default : after.Trim((byte)' ');
        Reason = reason.SequenceEqual("OK"u8) ? "OK" : Ascii.Equals(reason, Reason) ? Reason : Latin1(reason);
        return true;
    }

    /// <summary>
    /// Whether what arrived so far of a head (not all of it yet) can no longer be one: its first line, or the
    /// start of it, is not a status line. nginx refuses such an answer as soon as it sees it, without waiting
    /// for a head that will never come.
    /// </summary>
    public bool CannotBeHead(ReadOnlySpan<byte> data)
    {
        var lineEnd = data.IndexOf((byte)'\n');
        if (lineEnd >= 0)
        {
            return !ParseStatusLine(TrimCr(data[..lineEnd]));
        }

        var start = Math.Min(data.Length, 5);
        return !data[..start].SequenceEqual("HTTP/"u8[..start]);
    }

    /// <summary>
    /// One header line, as nginx 1.22 reads an upstream's (<c>ngx_http_parse_header_line</c>): a line without
    /// ':' is a name with an empty value, a second status line is ignored; a name that starts with ':' or has a
    /// space, control character or DEL in it is refused, and so is a NUL or a lone CR anywhere. Chunked framing
    /// wins over Content-Length, the last Content-Length counts, and an unparsable one means "read until close".
    /// </summary>
    private bool ParseField(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith("HTTP/"u8))
        {
            return true;
        }

        var colon = line.IndexOf((byte)':');
        var nameBytes = colon < 0 ? line : line[..colon];
        if (InvalidAt(line, nameBytes.Length) is var invalid and >= 0)
        {
            // nginx prints the line up to the offending byte, that byte in hex, and "...".
            Error = $"invalid header: \"{Encoding.Latin1.GetString(line[..invalid])}\\x{line[invalid]:x2}...\"";
            return false;
        }

        var valueBytes = colon < 0 ? default : line[(colon + 1)..].Trim(" \t"u8);
        string name, value;
        var index = _headers.Count;
        if (index < _previous.Count && Ascii.Equals(nameBytes, _previous[index].Key))
        {
            name = _previous[index].Key;
            value = Ascii.Equals(valueBytes, _previous[index].Value) ? _previous[index].Value : Latin1(valueBytes);
        }
        else
        {
            name = KnownHeaderNames.Get(nameBytes) ?? Encoding.Latin1.GetString(nameBytes);
            value = Latin1(valueBytes);
        }

        if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
        {
            ContentLength = Utf8Parser.TryParse(valueBytes, out long length, out var consumed) && consumed == valueBytes.Length && length >= 0 ? length : -1;
        }
        else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
        {
            Chunked |= value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
        }
        else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && value.Contains("close", StringComparison.OrdinalIgnoreCase))
        {
            ConnectionClose = true;
        }

        _headers.Add(new(name, value));
        return true;
    }

    /// <summary>Where nginx's header parser would stop on this line (-1: nowhere), the name being its first <paramref name="nameLength"/> bytes.</summary>
    private static int InvalidAt(ReadOnlySpan<byte> line, int nameLength)
    {
        if (nameLength == 0 && line.Length > 0)
        {
            return 0;
        }

        for (var i = 0; i < nameLength; i++)
        {
            if (line[i] <= 0x20 || line[i] == 0x7F)
            {
                return i;
            }
        }

        var rest = line[nameLength..].IndexOfAny((byte)0, (byte)'\r');
        return rest < 0 ? -1 : nameLength + rest;
    }

    private static string Latin1(ReadOnlySpan<byte> bytes) => bytes.IsEmpty ? "" : Encoding.Latin1.GetString(bytes);

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;
}

/// <summary>Interned names of the header fields upstreams send most, so parsing them allocates nothing.</summary>
internal static class KnownHeaderNames
{
    private static readonly string[] Names =
    [
        "Accept-Ranges", "Access-Control-Allow-Origin", "Age", "Cache-Control", "Connection", "Content-Disposition",
        "Content-Encoding", "Content-Language", "Content-Length", "Content-Range", "Content-Type", "Date", "ETag",
        "Expires", "Keep-Alive", "Last-Modified", "Link", "Location", "Pragma", "Refresh", "Retry-After", "Server",
        "Set-Cookie", "Strict-Transport-Security", "Transfer-Encoding", "Upgrade", "Vary", "WWW-Authenticate",
        "X-Accel-Buffering", "X-Accel-Expires", "X-Accel-Redirect", "X-Content-Type-Options", "X-Frame-Options",
        "X-Powered-By", "X-Request-Id",
    ];

    /// <summary>The interned name when the bytes spell one exactly (the casing upstreams nearly always use).</summary>
    public static string? Get(ReadOnlySpan<byte> name)
    {
        foreach (var known in Names)
        {
            if (known.Length == name.Length && Ascii.Equals(name, known))
            {
                return known;
            }
        }

        return null;
    }
}
