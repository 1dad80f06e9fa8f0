using System.Collections.Immutable;
using Sluice.Configuration;
using Sluice.Configuration.Syntax;

namespace Sluice.Geo;

/// <summary>
/// The ranges of a <c>geo … { ranges; }</c> block, kept as nginx keeps them: per upper 16 bits of the address a
/// sorted list of non-overlapping low-16-bit ranges. A new range may equal an existing one (replaced, with a
/// warning) or sit inside one (which is split), but may not straddle one: that is nginx's <c>overlaps</c> error.
/// </summary>
internal sealed class GeoRangeTable
{
    private readonly SortedDictionary<uint, List<Slot>> _byHigh = [];

    /// <summary>Adds <paramref name="start"/>..<paramref name="end"/>; warnings go to <paramref name="warn"/>.</summary>
    public void Add(uint start, uint end, string value, string text, SourceLocation location, Action<string> warn)
    {
        foreach (var (high, s, e) in Pieces(start, end))
        {
            if (!_byHigh.TryGetValue(high, out var slots))
            {
                slots = [];
                _byHigh[high] = slots;
            }

            AddPiece(slots, high, s, e, value, text, location, warn);
        }
    }

    /// <summary>Removes the exact range; false (nginx warns) when some piece of it was not there as such.</summary>
    public bool Delete(uint start, uint end)
    {
        var found = true;
        foreach (var (high, s, e) in Pieces(start, end))
        {
            var index = _byHigh.TryGetValue(high, out var slots) ? slots.FindIndex(r => r.Start == s && r.End == e) : -1;
            if (index < 0)
            {
                found = false;
                continue;
            }

            slots!.RemoveAt(index);
        }

        return found;
    }

    public ImmutableArray<GeoRange> ToRanges() =>
        [.. _byHigh.SelectMany(p => p.Value.Select(r => new GeoRange((p.Key << 16) | r.Start, (p.Key << 16) | r.End, r.Value)))];

    /// <summary>The range cut at every 65536-address boundary, as (upper 16 bits, low start, low end).</summary>
    private static IEnumerable<(uint High, uint Start, uint End)> Pieces(uint start, uint end)
    {
        for (ulong n = start; n <= end; n = (n + 0x10000) & 0xffff0000)
        {
            var high = (uint)(n >> 16);
            var s = n == start ? (uint)(n & 0xffff) : 0;
            var e = (n | 0xffff) > end ? end & 0xffff : 0xffff;
            yield return (high, s, e);
        }
    }

    /// <summary>nginx's insertion, scanning existing ranges from the highest down.</summary>
    private static void AddPiece(List<Slot> slots, uint high, uint s, uint e, string value, string text, SourceLocation location, Action<string> warn)
    {
        for (var i = slots.Count - 1; i >= 0; i--)
        {
            var current = slots[i];
            if (e < current.Start)
            {
                continue;
            }

            if (s > current.End)
            {
                slots.Insert(i + 1, new Slot(s, e, value));
                return;
            }

            if (s == current.Start && e == current.End)
            {
                warn($"duplicate range \"{text}\", value: \"{value}\", old value: \"{current.Value}\"");
                slots[i] = current with { Value = value };
                return;
            }

            if (s > current.Start && e < current.End)
            {
                slots[i] = current with { End = s - 1 };
                slots.Insert(i + 1, new Slot(s, e, value));
                slots.Insert(i + 2, current with { Start = e + 1 });
                return;
            }

            if (s == current.Start && e < current.End)
            {
                slots[i] = new Slot(s, e, value);
                slots.Insert(i + 1, current with { Start = e + 1 });
                return;
            }

            if (s > current.Start && e == current.End)
            {
                slots[i] = current with { End = s - 1 };
                slots.Insert(i + 1, new Slot(s, e, value));
                return;
            }

            var h = $"{high >> 8}.{high & 0xff}";
            throw new ConfigException(
                $"range \"{text}\" overlaps \"{h}.{current.Start >> 8}.{current.Start & 0xff}-{h}.{current.End >> 8}.{current.End & 0xff}\"",
                location);
        }

        slots.Insert(0, new Slot(s, e, value));
    }

    private readonly record struct Slot(uint Start, uint End, string Value);
}
