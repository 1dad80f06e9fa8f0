using System.Text;

namespace Sluice.Ssl;

/// <summary>One <c>-----BEGIN LABEL-----</c> … <c>-----END LABEL-----</c> block, decoded.</summary>
internal sealed record PemBlock(string Label, byte[] Der, bool LegacyEncrypted)
{
    /// <summary>The labels OpenSSL reads a certificate from (<c>PEM_read_bio_X509_AUX</c>).</summary>
    public bool IsCertificate => Label is "TRUSTED CERTIFICATE" or "CERTIFICATE" or "X509 CERTIFICATE";
}

/// <summary>The blocks of a PEM file in order, and the OpenSSL error that stopped the reading, if any.</summary>
internal sealed record PemScan(IReadOnlyList<PemBlock> Blocks, string? Error);

/// <summary>
/// Reads PEM text the way OpenSSL's <c>PEM_read_bio</c> does, block after block: text outside blocks is skipped,
/// a block without its matching END line is "bad end line", undecodable data is "bad base64 decode".
/// </summary>
internal static class PemReader
{
    private const string Begin = "-----BEGIN ";
    private const string End = "-----END ";
    private const string Dashes = "-----";

    public static PemScan Scan(byte[] content)
    {
        var lines = Encoding.Latin1.GetString(content).Split('\n');
        var blocks = new List<PemBlock>();
        var i = 0;
        while (i < lines.Length)
        {
            var line = lines[i++].TrimEnd();
            if (!line.StartsWith(Begin, StringComparison.Ordinal) || !line.EndsWith(Dashes, StringComparison.Ordinal) || line.Length < Begin.Length + Dashes.Length)
            {
                continue;
            }

            var label = line[Begin.Length..^Dashes.Length];
            var (block, error, next) = ReadBody(lines, i, label);
            if (error is not null)
            {
                return new PemScan(blocks, error);
            }

            blocks.Add(block!);
            i = next;
        }

        return new PemScan(blocks, null);
    }

    private static (PemBlock? Block, string? Error, int Next) ReadBody(string[] lines, int i, string label)
    {
        var base64 = new StringBuilder();
        var encrypted = false;
        var inHeaders = true;
        for (; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd();
            if (line.StartsWith(End, StringComparison.Ordinal))
            {
                if (line != End + label + Dashes)
                {
                    return (null, OpenSslErrors.BadEndLine, i);
                }

                var buffer = new byte[base64.Length];
                return Convert.TryFromBase64String(base64.ToString(), buffer, out var written)
                    ? (new PemBlock(label, buffer[..written], encrypted), null, i + 1)
                    : (null, OpenSslErrors.BadBase64, i);
            }

            // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: …") come before the data, then a blank line.
            if (inHeaders && line.Contains(':', StringComparison.Ordinal))
            {
                encrypted |= line.StartsWith("Proc-Type:", StringComparison.Ordinal) && line.Contains("ENCRYPTED", StringComparison.Ordinal);
                continue;
            }

            inHeaders = false;
            base64.Append(line.Trim());
        }

        return (null, OpenSslErrors.BadEndLine, i);
    }
}
