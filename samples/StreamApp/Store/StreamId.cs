using System.Globalization;

namespace StreamApp.Store;

/// <summary>
/// A stream entry id in Redis's shape, <c>milliseconds-sequence</c>. Both stores issue ids of this shape, so the
/// SSE <c>id:</c> a client hands back in <c>Last-Event-ID</c> means the same thing whichever store is in use, and
/// ordering (which resumption relies on) is a plain comparison.
/// </summary>
public readonly record struct StreamId(ulong Milliseconds, ulong Sequence) : IComparable<StreamId>
{
    /// <summary>Before every real id: "replay from the beginning" (<c>Last-Event-ID: 0</c>).</summary>
    public static StreamId Zero => default;

    /// <summary>The smallest id after this one; XRANGE's start is inclusive, so "after X" is "from X.Next()".</summary>
    public StreamId Next() => Sequence == ulong.MaxValue ? new StreamId(Milliseconds + 1, 0) : new StreamId(Milliseconds, Sequence + 1);

    public int CompareTo(StreamId other)
    {
        var byTime = Milliseconds.CompareTo(other.Milliseconds);
        return byTime != 0 ? byTime : Sequence.CompareTo(other.Sequence);
    }

    public static bool operator <(StreamId left, StreamId right) => left.CompareTo(right) < 0;

    public static bool operator >(StreamId left, StreamId right) => left.CompareTo(right) > 0;

    public static bool operator <=(StreamId left, StreamId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(StreamId left, StreamId right) => left.CompareTo(right) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Milliseconds}-{Sequence}");

    /// <summary>Accepts <c>ms-seq</c> and, as Redis does, a bare <c>ms</c> (sequence 0).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out StreamId id)
    {
        id = default;
        var dash = text.IndexOf('-');
        var msPart = dash < 0 ? text : text[..dash];
        var seqPart = dash < 0 ? "0" : text[(dash + 1)..];
        if (!IsDigits(msPart) || !IsDigits(seqPart)
            || !ulong.TryParse(msPart, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || !ulong.TryParse(seqPart, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return false;
        }

        id = new StreamId(ms, seq);
        return true;
    }

    public static StreamId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"\"{text}\" is not an event id (expected milliseconds-sequence)");

    private static bool IsDigits(ReadOnlySpan<char> span)
    {
        if (span.IsEmpty)
        {
            return false;
        }

        foreach (var c in span)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
