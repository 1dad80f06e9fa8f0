using System.Net;
using System.Net.Sockets;

namespace Sluice.Configuration.Values;

/// <summary>How <see cref="NginxCidr.Parse"/> read a network.</summary>
public enum CidrParseStatus
{
    /// <summary>Not an address or network nginx accepts.</summary>
    Invalid,

    /// <summary>An address, or a network whose host bits are zero.</summary>
    Exact,

    /// <summary>A network written with host bits set; nginx clears them and warns "low address bits … are meaningless".</summary>
    LowBitsCleared,
}

/// <summary>
/// An address with a prefix length, read with nginx's <c>ngx_ptocidr</c> rules (used by <c>allow</c>/<c>deny</c>,
/// <c>geo</c>, <c>set_real_ip_from</c>): IPv4 with <c>ngx_inet_addr</c> (so <c>255.255.255.255</c> is refused),
/// otherwise IPv6 with <c>ngx_inet6_addr</c>; the prefix is a plain decimal up to 32 or 128.
/// </summary>
public readonly record struct NginxCidr(IPAddress Network, int PrefixLength)
{
    public AddressFamily Family => Network.AddressFamily;

    /// <summary>The network address (host bits cleared); the same as <see cref="Network"/>.</summary>
    public IPAddress Address => Network;

    /// <summary>Whether <paramref name="address"/> (same family) falls inside this network.</summary>
    public bool Contains(IPAddress address)
    {
        if (address.AddressFamily != Family)
        {
            return false;
        }

        var candidate = address.GetAddressBytes();
        var network = Network.GetAddressBytes();
        var bits = PrefixLength;
        for (var i = 0; i < candidate.Length && bits > 0; i++)
        {
            var take = Math.Min(8, bits);
            var mask = (byte)(0xFF << (8 - take));
            if ((candidate[i] & mask) != (network[i] & mask))
            {
                return false;
            }

            bits -= take;
        }

        return true;
    }

    public override string ToString() => $"{Network}/{PrefixLength}";

    /// <summary>
    /// <see cref="Parse"/> in try form: false when the text is not a network; <paramref name="hostBitsDropped"/> is
    /// nginx's <c>NGX_DONE</c> (bits set past the prefix, which nginx warns about and clears).
    /// </summary>
    public static bool TryParse(string text, out NginxCidr cidr, out bool hostBitsDropped)
    {
        var status = Parse(text, out cidr);
        hostBitsDropped = status == CidrParseStatus.LowBitsCleared;
        return status != CidrParseStatus.Invalid;
    }

    public static CidrParseStatus Parse(string text, out NginxCidr cidr)
    {
        cidr = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash >= 0 ? text[..slash] : text;

        byte[] bytes;
        if (NginxUrl.TryParseIPv4(addressText, out var v4))
        {
            bytes = v4.GetAddressBytes();
        }
        else
        {
            bytes = new byte[16];
            if (!TryParseIPv6(addressText, bytes))
            {
                return CidrParseStatus.Invalid;
            }
        }

        var bits = bytes.Length * 8;
        if (slash < 0)
        {
            cidr = new NginxCidr(new IPAddress(bytes), bits);
            return CidrParseStatus.Exact;
        }

        if (!NginxValues.TryParseNumber(text.AsSpan(slash + 1), out var prefix) || prefix > bits)
        {
            return CidrParseStatus.Invalid;
        }

        var status = CidrParseStatus.Exact;
        var remaining = (int)prefix;
        for (var i = 0; i < bytes.Length; i++)
        {
            var take = Math.Min(remaining, 8);
            remaining -= take;
            var mask = (byte)(0xFF << (8 - take));
            if ((bytes[i] & mask) != bytes[i])
            {
                status = CidrParseStatus.LowBitsCleared;
                bytes[i] &= mask;
            }
        }

        cidr = new NginxCidr(new IPAddress(bytes), (int)prefix);
        return status;
    }

    /// <summary>
    /// nginx's <c>ngx_inet6_addr</c>: up to eight groups of at most four hex digits, one <c>::</c>, an optional
    /// trailing dotted IPv4 part. Stricter and looser than <see cref="IPAddress.TryParse(string, out IPAddress)"/> in
    /// places (no zone ids, a single leading ':' is skipped), so it is its own parser.
    /// </summary>
    public static bool TryParseIPv6(ReadOnlySpan<char> text, Span<byte> address)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        if (text[0] == ':')
        {
            text = text[1..];
        }

        var written = 0;
        var zeroAt = -1;
        var digitsStart = -1;
        var nibbles = 0;
        var word = 0;
        var groupsLeft = 8;

        for (var p = 0; p < text.Length; p++)
        {
            var c = text[p];
            if (c == ':')
            {
                if (nibbles > 0)
                {
                    digitsStart = p + 1;
                    address[written++] = (byte)(word >> 8);
                    address[written++] = (byte)word;
                    if (--groupsLeft > 0)
                    {
                        nibbles = 0;
                        word = 0;
                        continue;
                    }
                }
                else if (zeroAt < 0)
                {
                    digitsStart = p + 1;
                    zeroAt = written;
                    continue;
                }

                return false;
            }

            if (c == '.' && nibbles > 0)
            {
                if (groupsLeft < 2 || digitsStart < 0 || !NginxUrl.TryParseIPv4(text[digitsStart..].ToString(), out var v4))
                {
                    return false;
                }

                var embedded = v4.GetAddressBytes();
                word = (embedded[2] << 8) | embedded[3];
                address[written++] = embedded[0];
                address[written++] = embedded[1];
                groupsLeft--;
                break;
            }

            if (++nibbles > 4 || !char.IsAsciiHexDigit(c))
            {
                return false;
            }

            word = (word * 16) + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }

        if (nibbles == 0 && zeroAt < 0)
        {
            return false;
        }

        address[written++] = (byte)(word >> 8);
        address[written++] = (byte)word;

        if (--groupsLeft == 0)
        {
            return zeroAt < 0;
        }

        if (zeroAt < 0)
        {
            return false;
        }

        // Move what followed "::" to the end and fill the gap with zeros.
        var gap = groupsLeft * 2;
        var tail = written - zeroAt;
        address.Slice(zeroAt, tail).CopyTo(address[(zeroAt + gap)..]);
        address.Slice(zeroAt, gap).Clear();
        return true;
    }
}
