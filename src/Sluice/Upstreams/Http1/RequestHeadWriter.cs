using System.Buffers;
using System.Globalization;
using System.Text;

namespace Sluice.Upstreams.Http1;

/// <summary>
/// Builds an HTTP/1.x request head in a pooled buffer: the request line, then header fields, then the
/// empty line. Strings are written as Latin-1, the bytes they were read as. <see cref="Begin"/> rents the
/// buffer and <see cref="Release"/> gives it back, so one writer serves request after request.
/// </summary>
public sealed class RequestHeadWriter
{
    private const int Capacity = 2048;
    private byte[] _buffer = [];
    private int _length;

    public RequestHeadWriter(bool begin = false)
    {
        if (begin)
        {
            Begin();
        }
    }

    /// <summary>Starts a new head in a buffer from the pool.</summary>
    public void Begin()
    {
        if (_buffer.Length == 0)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Capacity);
        }

        _length = 0;
    }

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    public int Length => _length;

    /// <summary><c>METHOD URI HTTP/1.x</c>.</summary>
    public void RequestLine(string method, string uri, bool http11)
    {
        Append(method);
        Append(' ');
        Append(uri);
        Append(http11 ? " HTTP/1.1\r\n"u8 : " HTTP/1.0\r\n"u8);
    }

    public void Header(string name, string value)
    {
        Append(name);
        Append(": "u8);
        Append(value);
        Append("\r\n"u8);
    }

    public void Header(string name, long value)
    {
        Append(name);
        Append(": "u8);
        Reserve(20);
        value.TryFormat(_buffer.AsSpan(_length), out var written, default, CultureInfo.InvariantCulture);
        _length += written;
        Append("\r\n"u8);
    }

    public void End() => Append("\r\n"u8);

    /// <summary>Appends raw bytes (a buffered request body sent in the same write as the head).</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Returns the buffer to the pool (until the next <see cref="Begin"/>).</summary>
    public void Release()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = [];
        _length = 0;
    }

    private void Append(char c)
    {
        Reserve(1);
        _buffer[_length++] = (byte)c;
    }

    private void Append(string text)
    {
        Reserve(text.Length);
        _length += Encoding.Latin1.GetBytes(text, _buffer.AsSpan(_length));
    }

    private void Reserve(int more)
    {
        if (_length + more <= _buffer.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + more));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
