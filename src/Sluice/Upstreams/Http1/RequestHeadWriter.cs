using System.Buffers;
using System.Globalization;
using System.Text;

namespace Sluice.Upstreams.Http1;

/// <summary>
/// Builds an HTTP/1.x request head in a pooled buffer: the request line, then header fields, then the
/// empty line. Strings are written as Latin-1, the bytes they were read as. Return the buffer with
/// <see cref="Dispose"/>.
/// </summary>
public sealed class RequestHeadWriter : IDisposable
{
    private byte[] _buffer;
    private int _length;

    public RequestHeadWriter(int capacity = 2048) => _buffer = ArrayPool<byte>.Shared.Rent(capacity);

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

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
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
