using System.Net;
using System.Net.Sockets;

namespace Sluice.Configuration.Values;

/// <summary>
/// An address with a prefix length, as nginx reads networks (<c>geo</c>, <c>allow</c>/<c>deny</c>,
/// <c>set_real_ip_from</c>): <see cref="Address"/> already has its host bits cleared.
/// </summary>
public readonly record struct NginxCidr(IPAddress Address, int PrefixLength)
{
    public AddressFamily Family => Address.AddressFamily;

    /// <summary>Whether <paramref name="address"/> (same family) falls inside this network.</summary>
    public bool Contains(IPAddress address)
    {
        if (address.AddressFamily != Family)
        {
            return false;
        }

        Span<byte> network = stackalloc byte[16];
        Span<byte> candidate = stackalloc byte[16];
        Address.TryWriteBytes(network, out var length);
        address.TryWriteBytes(candidate, out _);
        ApplyMask(candidate[..length], PrefixLength);
        return network[..length].SequenceEqual(candidate[..length]);
    }

    public override string ToString() => $"{Address}/{PrefixLength}";

    /// <summary>
    /// nginx's <c>ngx_ptocidr</c>: <c>a.b.c.d</c>, an IPv6 address, either with <c>/bits</c>. False when the text is
    /// not a network; <paramref name="hostBitsDropped"/> is nginx's <c>NGX_DONE</c> (the address had bits set past the
    /// prefix, which nginx warns about and clears).
    /// </summary>
    public static bool TryParse(string text, out NginxCidr cidr, out bool hostBitsDropped)
    {
        cidr = default;
        hostBitsDropped = false;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash >= 0 ? text[..slash] : text;

        byte[] bytes;
        if (NginxUrl.TryParseIPv4(addressText, out var v4))
        {
            bytes = v4.GetAddressBytes();
        }
        else if (TryParseIPv6(addressText, out var v6))
        {
            bytes = v6;
        }
        else
        {
            return false;
        }

        var maxBits = bytes.Length * 8;
        var prefix = maxBits;
        if (slash >= 0)
        {
            if (!NginxValues.TryParseInt(text.AsSpan(slash + 1), out prefix) || prefix > maxBits)
            {
                return false;
            }

            var original = (byte[])bytes.Clone();
            ApplyMask(bytes, prefix);
            hostBitsDropped = !original.AsSpan().SequenceEqual(bytes);
        }

        cidr = new NginxCidr(new IPAddress(bytes), prefix);
        return true;
    }

    /// <summary>
    /// nginx's <c>ngx_inet6_addr</c>: up to eight groups of at most four hex digits, one <c>::</c>, and an embedded
    /// dotted IPv4 tail. Stricter than <see cref="IPAddress.TryParse(string, out IPAddress)"/> (no brackets, no scope).
    /// </summary>
    private static bool TryParseIPv6(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.IsEmpty)
        {
            return false;
        }

        var words = new List<ushort>(8);
        var gapAt = -1;
        var nibbles = 0;
        var word = 0;
        var groupStart = -1;
        var p = text[0] == ':' ? 1 : 0;

        for (; p < text.Length; p++)
        {
            var c = text[p];
            if (c == ':')
            {
                if (nibbles > 0)
                {
                    words.Add((ushort)word);
                    if (words.Count == 8)
                    {
                        return false;
                    }

                    nibbles = 0;
                    word = 0;
                    groupStart = p + 1;
                    continue;
                }

                if (gapAt >= 0)
                {
                    return false;
                }

                gapAt = words.Count;
                groupStart = p + 1;
                continue;
            }

            if (c == '.' && nibbles > 0)
            {
                // The last group is a dotted IPv4 address taking two words.
                if (8 - words.Count < 2 || groupStart < 0 || !NginxUrl.TryParseIPv4(text[groupStart..].ToString(), out var v4))
                {
                    return false;
                }

                var tail = v4.GetAddressBytes();
                words.Add((ushort)((tail[0] << 8) | tail[1]));
                word = (tail[2] << 8) | tail[3];
                nibbles = 1;
                break;
            }

            if (++nibbles > 4 || !char.IsAsciiHexDigit(c))
            {
                return false;
            }

            word = (word * 16) + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }

        if (nibbles == 0 && gapAt < 0)
        {
            return false;
        }

        words.Add((ushort)word);
        if (words.Count == 8 ? gapAt >= 0 : gapAt < 0)
        {
            return false;
        }

        var missing = 8 - words.Count;
        if (gapAt >= 0)
        {
            words.InsertRange(gapAt, new ushort[missing]);
        }

        bytes = new byte[16];
        for (var i = 0; i < 8; i++)
        {
            bytes[2 * i] = (byte)(words[i] >> 8);
            bytes[(2 * i) + 1] = (byte)words[i];
        }

        return true;
    }

    private static void ApplyMask(Span<byte> bytes, int prefix)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - bits));
        }
    }
}
