using System.Text;

namespace Sluice.Http.Runtime;

/// <summary>
/// What a client sent of a request head before client_header_timeout ended it, read as nginx had parsed it by
/// then: the request line (whole, or as far as it came) and the header lines that were complete — for nginx's
/// "while reading client request line/headers" error line and the 408 access log line.
/// </summary>
internal sealed class IncompleteRequestHead
{
    private IncompleteRequestHead(string line, bool lineComplete, string? host, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        Line = line;
        LineComplete = lineComplete;
        Host = host;
        Headers = headers;
    }

    /// <summary>The request line, or what arrived of it (without its line end).</summary>
    public string Line { get; }

    /// <summary>The request line ended: the header lines were being read.</summary>
    public bool LineComplete { get; }

    /// <summary>The Host header, when its line was complete.</summary>
    public string? Host { get; }

    /// <summary>The complete header lines, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>Method, target and protocol of a complete request line (nulls when it is not one).</summary>
    public (string? Method, string? Target, string? Protocol) RequestLineParts => LineComplete && Line.Split(' ') is [var method, var target, var protocol]
        ? (method, target, protocol)
        : (null, null, null);

    /// <summary>Null when nothing arrived (the connection was waiting for a request).</summary>
    public static IncompleteRequestHead? Parse(ReadOnlySpan<byte> received)
    {
        // nginx skips empty lines before a request line.
        while (received.Length > 0 && received[0] is (byte)'\r' or (byte)'\n')
        {
            received = received[1..];
        }

        if (received.IsEmpty)
        {
            return null;
        }

        var lineEnd = received.IndexOf((byte)'\n');
        if (lineEnd < 0)
        {
            return new IncompleteRequestHead(Text(received), false, null, []);
        }

        var headers = new List<KeyValuePair<string, string>>();
        string? host = null;
        var rest = received[(lineEnd + 1)..];
        while (rest.IndexOf((byte)'\n') is var end and >= 0)
        {
            var field = Text(rest[..end]);
            rest = rest[(end + 1)..];
            var colon = field.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var (name, value) = (field[..colon], field[(colon + 1)..].Trim(' ', '\t'));
            headers.Add(new(name, value));
            if (host is null && name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                host = value;
            }
        }

        return new IncompleteRequestHead(Text(received[..lineEnd]), true, host, headers);
    }

    private static string Text(ReadOnlySpan<byte> line) => Encoding.Latin1.GetString(line.EndsWith("\r"u8) ? line[..^1] : line);
}
