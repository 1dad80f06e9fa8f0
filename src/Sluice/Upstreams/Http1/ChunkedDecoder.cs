namespace Sluice.Upstreams.Http1;

/// <summary>
/// Removes the chunked transfer coding from an upstream's body as it arrives (nginx's
/// <c>ngx_http_parse_chunked</c>: hex sizes, extensions after ';' or blanks, LF or CRLF, trailer lines
/// after the last chunk), compacting the data in place so it can be read straight into the client's buffer.
/// </summary>
public sealed class ChunkedDecoder
{
    private State _state = State.Size;
    private long _size;
    private int _digits;

    private enum State
    {
        Size,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,
        Trailer,
        TrailerLf,
        LastLf,
        Done,
    }

    /// <summary>The last chunk and the trailer have been read: the body is complete.</summary>
    public bool Done => _state == State.Done;

    /// <summary>Bytes after the end of the body in the last buffer decoded (a well-behaved upstream sends none).</summary>
    public int Excess { get; private set; }

    public void Reset()
    {
        _state = State.Size;
        _size = 0;
        _digits = 0;
        Excess = 0;
    }

    /// <summary>
    /// Decodes <paramref name="buffer"/> in place: returns how many body bytes now start the buffer, or -1
    /// when the framing is invalid ("upstream sent invalid chunked response").
    /// </summary>
    public int Decode(Span<byte> buffer)
    {
        var write = 0;
        var i = 0;
        while (i < buffer.Length)
        {
            switch (_state)
            {
                case State.Data:
                {
                    var take = (int)Math.Min(_size, buffer.Length - i);
                    if (write != i)
                    {
                        buffer.Slice(i, take).CopyTo(buffer[write..]);
                    }

                    write += take;
                    i += take;
                    _size -= take;
                    if (_size == 0)
                    {
                        _state = State.DataCr;
                    }

                    continue;
                }

                case State.Done:
                    Excess = buffer.Length - i;
                    return write;
            }

            var c = buffer[i++];
            switch (_state)
            {
                case State.Size:
                    if (HexValue(c) is var digit and >= 0)
                    {
                        if (++_digits > 15)
                        {
                            return -1;
                        }

                        _size = (_size << 4) | (uint)digit;
                    }
                    else if (_digits == 0)
                    {
                        return -1;
                    }
                    else if (c is (byte)';' or (byte)' ' or (byte)'\t')
                    {
                        _state = State.Extension;
                    }
                    else if (c == '\r')
                    {
                        _state = State.SizeLf;
                    }
                    else if (c == '\n')
                    {
                        EndOfSizeLine();
                    }
                    else
                    {
                        return -1;
                    }

                    break;

                case State.Extension:
                    if (c == '\r')
                    {
                        _state = State.SizeLf;
                    }
                    else if (c == '\n')
                    {
                        EndOfSizeLine();
                    }

                    break;

                case State.SizeLf:
                    if (c != '\n')
                    {
                        return -1;
                    }

                    EndOfSizeLine();
                    break;

                case State.DataCr:
                    if (c == '\r')
                    {
                        _state = State.DataLf;
                    }
                    else if (c == '\n')
                    {
                        NextChunk();
                    }
                    else
                    {
                        return -1;
                    }

                    break;

                case State.DataLf:
                    if (c != '\n')
                    {
                        return -1;
                    }

                    NextChunk();
                    break;

                case State.TrailerStart:
                    _state = c switch
                    {
                        (byte)'\r' => State.LastLf,
                        (byte)'\n' => State.Done,
                        _ => State.Trailer,
                    };
                    break;

                case State.Trailer:
                    if (c == '\r')
                    {
                        _state = State.TrailerLf;
                    }
                    else if (c == '\n')
                    {
                        _state = State.TrailerStart;
                    }

                    break;

                case State.TrailerLf:
                    if (c != '\n')
                    {
                        return -1;
                    }

                    _state = State.TrailerStart;
                    break;

                case State.LastLf:
                    if (c != '\n')
                    {
                        return -1;
                    }

                    _state = State.Done;
                    break;
            }
        }

        return write;
    }

    private void EndOfSizeLine() => _state = _size == 0 ? State.TrailerStart : State.Data;

    private void NextChunk()
    {
        _state = State.Size;
        _size = 0;
        _digits = 0;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
