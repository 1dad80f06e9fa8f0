using System.Buffers;
using System.Text;

namespace Sluice.Variables;

/// <summary>
/// Bytes that are not UTF-8 kept in a string, as nginx keeps a variable's raw bytes: each byte of an invalid sequence
/// becomes the lone surrogate U+DC80 + (byte - 0x80) (Python's "surrogateescape"), which no valid text contains, and
/// goes back to that byte when a log line is escaped or written. Valid UTF-8 decodes as usual, so values compare and
/// render like the request headers Kestrel decodes.
/// </summary>
public static class RawBytes
{
    private const char First = '\uDC80';
    private const char Last = '\uDCFF';

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return Encoding.UTF8.GetString(bytes);
        }

        var sb = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out var rune, out var consumed) == OperationStatus.Done)
            {
                sb.Append(rune.ToString());
            }
            else
            {
                sb.Append((char)(0xDC00 + bytes[0]));
                consumed = 1;
            }

            bytes = bytes[consumed..];
        }

        return sb.ToString();
    }

    /// <summary>The raw byte a character stands for, when it is a lone escaped one at <paramref name="index"/>.</summary>
    public static bool TryGetByte(string text, int index, out byte value)
    {
        var c = text[index];
        var lone = c is >= First and <= Last && (index == 0 || !char.IsHighSurrogate(text[index - 1]));
        value = lone ? (byte)(c - 0xDC00) : (byte)0;
        return lone;
    }

    /// <summary>UTF-8 of <paramref name="text"/> into <paramref name="destination"/> (sized for UTF-8's worst case), escaped bytes as themselves.</summary>
    public static int GetBytes(string text, Span<byte> destination)
    {
        if (text.AsSpan().IndexOfAnyInRange(First, Last) < 0)
        {
            return Encoding.UTF8.GetBytes(text, destination);
        }

        var written = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (TryGetByte(text, i, out var raw))
            {
                destination[written++] = raw;
                continue;
            }

            var count = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            written += Encoding.UTF8.GetBytes(text.AsSpan(i, count), destination[written..]);
            i += count - 1;
        }

        return written;
    }
}
