using System.Text;

namespace Sluice.Proxy.Runtime;

/// <summary>nginx's <c>ngx_escape_uri(…, NGX_ESCAPE_URI)</c>: controls, space, '#', '%', '?', DEL and non-ASCII bytes become %XX.</summary>
public static class NginxUriEscape
{
    public static string Escape(string uri)
    {
        // The bytes the URI stands for: a decoded "%E9" is the byte E9 again (Variables.RawBytes), as nginx escapes it.
        var bytes = Variables.RawBytes.GetBytes(uri);
        var needs = false;
        foreach (var b in bytes)
        {
            if (MustEscape(b))
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return uri;
        }

        var sb = new StringBuilder(bytes.Length + 16);
        foreach (var b in bytes)
        {
            if (MustEscape(b))
            {
                sb.Append('%').Append("0123456789ABCDEF"[b >> 4]).Append("0123456789ABCDEF"[b & 0xF]);
            }
            else
            {
                sb.Append((char)b);
            }
        }

        return sb.ToString();
    }

    private static bool MustEscape(byte b) => b <= 0x20 || b is (byte)'#' or (byte)'%' or (byte)'?' or 0x7F || b >= 0x80;
}
