using Sluice.Variables;

namespace Sluice.Http.Routing;

/// <summary>The request URI after nginx's normalization (<c>$uri</c>) and the query string (<c>$args</c>).</summary>
public readonly record struct ParsedUri(string Path, string? Args)
{
    /// <summary>The part of the path after the last dot of its last segment (nginx's <c>exten</c>), used for MIME types.</summary>
    public string Extension
    {
        get
        {
            var slash = Path.LastIndexOf('/');
            var dot = Path.LastIndexOf('.');
            return dot > slash ? Path[(dot + 1)..] : "";
        }
    }
}

/// <summary>
/// nginx's <c>ngx_http_parse_complex_uri</c>: percent-decoding (a decoded '/' or '.' counts as one),
/// merging slashes (<c>merge_slashes on</c>), removing "." and ".." segments (a ".." above the root is
/// a bad request), cutting the query at '?' and the fragment at '#'.
/// </summary>
public static class NginxUri
{
    private enum State
    {
        Usual,
        Slash,
        Dot,
        DotDot,
        Quoted,
        QuotedSecond,
    }

    /// <summary>Normalizes an origin-form request target; false means 400 Bad Request.</summary>
    public static bool TryParse(ReadOnlySpan<char> target, bool mergeSlashes, out ParsedUri result)
    {
        result = default;
        if (target.IsEmpty || target[0] != '/')
        {
            return false;
        }

        var buffer = target.Length <= 512 ? stackalloc byte[target.Length + 1] : new byte[target.Length + 1];
        var u = 0;
        var state = State.Usual;
        var quotedState = State.Usual;
        byte decoded = 0;
        string? args = null;
        var p = 0;
        var ch = NextByte(target, ref p);
        while (true)
        {
            var atEnd = p > target.Length;
            if (atEnd)
            {
                break;
            }

            switch (state)
            {
                case State.Usual:
                    switch (ch)
                    {
                        case (byte)'/':
                            state = State.Slash;
                            buffer[u++] = ch;
                            break;
                        case (byte)'%':
                            quotedState = state;
                            state = State.Quoted;
                            break;
                        case (byte)'?':
                            args = ArgsFrom(target, p);
                            goto Done;
                        case (byte)'#':
                            goto Done;
                        default:
                            buffer[u++] = ch;
                            break;
                    }

                    ch = NextByte(target, ref p);
                    break;

                case State.Slash:
                    switch (ch)
                    {
                        case (byte)'/':
                            if (!mergeSlashes)
                            {
                                buffer[u++] = ch;
                            }

                            break;
                        case (byte)'.':
                            state = State.Dot;
                            buffer[u++] = ch;
                            break;
                        case (byte)'%':
                            quotedState = state;
                            state = State.Quoted;
                            break;
                        case (byte)'?':
                            args = ArgsFrom(target, p);
                            goto Done;
                        case (byte)'#':
                            goto Done;
                        default:
                            state = State.Usual;
                            buffer[u++] = ch;
                            break;
                    }

                    ch = NextByte(target, ref p);
                    break;

                case State.Dot:
                    switch (ch)
                    {
                        case (byte)'/':
                            state = State.Slash;
                            u--;
                            break;
                        case (byte)'.':
                            state = State.DotDot;
                            buffer[u++] = ch;
                            break;
                        case (byte)'%':
                            quotedState = state;
                            state = State.Quoted;
                            break;
                        case (byte)'?':
                            u--;
                            args = ArgsFrom(target, p);
                            goto Done;
                        case (byte)'#':
                            u--;
                            goto Done;
                        default:
                            state = State.Usual;
                            buffer[u++] = ch;
                            break;
                    }

                    ch = NextByte(target, ref p);
                    break;

                case State.DotDot:
                    switch (ch)
                    {
                        case (byte)'/' or (byte)'?' or (byte)'#':
                            if (!UpOneSegment(buffer, ref u))
                            {
                                return false;
                            }

                            if (ch == '?')
                            {
                                args = ArgsFrom(target, p);
                                goto Done;
                            }

                            if (ch == '#')
                            {
                                goto Done;
                            }

                            state = State.Slash;
                            break;
                        case (byte)'%':
                            quotedState = state;
                            state = State.Quoted;
                            break;
                        default:
                            state = State.Usual;
                            buffer[u++] = ch;
                            break;
                    }

                    ch = NextByte(target, ref p);
                    break;

                case State.Quoted:
                    if (HexValue(ch) is var first and >= 0)
                    {
                        decoded = (byte)first;
                        state = State.QuotedSecond;
                        ch = NextByte(target, ref p);
                        break;
                    }

                    return false;

                case State.QuotedSecond:
                    if (HexValue(ch) is var second and >= 0)
                    {
                        ch = (byte)((decoded << 4) + second);
                        if (ch is (byte)'%' or (byte)'#' or (byte)'?')
                        {
                            // An encoded '%', '#' or '?' is data, never syntax.
                            state = State.Usual;
                            buffer[u++] = ch;
                            ch = NextByte(target, ref p);
                            break;
                        }

                        if (ch == 0)
                        {
                            return false;
                        }

                        // Re-read the decoded byte in the state we came from: "%2F" is a slash, "%2E" a dot.
                        state = quotedState;
                        break;
                    }

                    return false;
            }
        }

        if (state is State.Quoted or State.QuotedSecond)
        {
            return false;
        }

        if (state == State.Dot)
        {
            u--;
        }
        else if (state == State.DotDot && !UpOneSegment(buffer, ref u))
        {
            return false;
        }

    Done:
        // Bytes that are not UTF-8 stay themselves (RawBytes): "%E9" goes back out as the byte E9, as nginx has it.
        result = new ParsedUri(RawBytes.Decode(buffer[..u]), args);
        return true;
    }

    /// <summary>Drops "/segment/.." (u points past the second dot); false when that climbs above the root.</summary>
    private static bool UpOneSegment(Span<byte> buffer, ref int u)
    {
        u -= 4;
        while (true)
        {
            if (u < 0)
            {
                return false;
            }

            if (buffer[u] == '/')
            {
                u++;
                return true;
            }

            u--;
        }
    }

    /// <summary>The query after '?', up to a '#'.</summary>
    private static string ArgsFrom(ReadOnlySpan<char> target, int p)
    {
        var rest = target[p..];
        var hash = rest.IndexOf('#');
        return (hash >= 0 ? rest[..hash] : rest).ToString();
    }

    /// <summary>Reads target[p] as a byte (the request line is ASCII; anything else passes through as Latin-1); past the end reads a terminator.</summary>
    private static byte NextByte(ReadOnlySpan<char> target, ref int p)
    {
        var c = p < target.Length ? (byte)target[p] : (byte)'\n';
        p++;
        return c;
    }

    private static int HexValue(byte ch)
    {
        if (ch is >= (byte)'0' and <= (byte)'9')
        {
            return ch - '0';
        }

        var c = ch | 0x20;
        return c is >= 'a' and <= 'f' ? c - 'a' + 10 : -1;
    }
}
