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
    public static bool TryGetByte(ReadOnlySpan<char> text, int index, out byte value)
    {
        var lone = IsLoneEscape(text, index);
        value = lone ? (byte)(text[index] - 0xDC00) : (byte)0;
        return lone;
    }

    private static bool IsLoneEscape(ReadOnlySpan<char> text, int index) =>
        text[index] is >= First and <= Last && (index == 0 || !char.IsHighSurrogate(text[index - 1]));

    /// <summary>How many bytes <see cref="GetBytes(ReadOnlySpan{char}, Span{byte})"/> writes for <paramref name="text"/>.</summary>
    public static int GetByteCount(ReadOnlySpan<char> text) =>
        text.IndexOfAnyInRange(First, Last) < 0 ? Encoding.UTF8.GetByteCount(text) : Transcode(text, [], countOnly: true);

    /// <summary>The bytes <paramref name="text"/> stands for: its UTF-8, escaped bytes as themselves.</summary>
    public static byte[] GetBytes(string text)
    {
        var bytes = new byte[GetByteCount(text)];
        GetBytes(text, bytes);
        return bytes;
    }

    /// <summary>UTF-8 of <paramref name="text"/> into <paramref name="destination"/> (at least <see cref="GetByteCount"/> long), escaped bytes as themselves.</summary>
    public static int GetBytes(ReadOnlySpan<char> text, Span<byte> destination) =>
        text.IndexOfAnyInRange(First, Last) < 0 ? Encoding.UTF8.GetBytes(text, destination) : Transcode(text, destination, countOnly: false);

    /// <summary>Character by character: an escaped byte is one byte, anything else (a surrogate pair together) its UTF-8.</summary>
    private static int Transcode(ReadOnlySpan<char> text, Span<byte> destination, bool countOnly)
    {
        var written = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (TryGetByte(text, i, out var raw))
            {
                if (!countOnly)
                {
                    destination[written] = raw;
                }

                written++;
                continue;
            }

            var count = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            var chars = text.Slice(i, count);
            written += countOnly ? Encoding.UTF8.GetByteCount(chars) : Encoding.UTF8.GetBytes(chars, destination[written..]);
            i += count - 1;
        }

        return written;
    }
}
