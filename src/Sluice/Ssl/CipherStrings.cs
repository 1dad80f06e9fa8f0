using System.Collections.Frozen;

namespace Sluice.Ssl;

/// <summary>
/// Evaluates an OpenSSL cipher string (<c>ssl_ciphers</c>) against OpenSSL 3.0's TLS 1.2-and-older suites, to
/// tell, as <c>SSL_CTX_set_cipher_list</c> does, whether it selects any: "no cipher match" otherwise. Names and
/// aliases are case-sensitive; unknown words select nothing; <c>-</c> removes, <c>!</c> removes for good,
/// <c>+</c> only reorders, <c>A+B</c> is the intersection, <c>@…</c> commands do not change the set.
/// </summary>
internal static class CipherStrings
{
    /// <summary>Whether <paramref name="cipherString"/> leaves at least one TLS 1.2-or-older cipher.</summary>
    public static bool SelectsAny(string cipherString)
    {
        var active = new HashSet<Cipher>();
        var killed = new HashSet<Cipher>();
        if (cipherString.StartsWith("DEFAULT", StringComparison.Ordinal))
        {
            active.UnionWith(All.Where(c => Matches(c, "DEFAULT")));
        }

        foreach (var element in cipherString.Split([':', ' ', ';', ','], StringSplitOptions.RemoveEmptyEntries))
        {
            var op = element[0] is '!' or '-' or '+' ? element[0] : ' ';
            var words = (op == ' ' ? element : element[1..]).Split('+');
            if (op == '+' || words[0].StartsWith('@'))
            {
                continue;
            }

            var selected = All.Where(c => words.All(w => Matches(c, w))).ToList();
            switch (op)
            {
                case '!':
                    active.ExceptWith(selected);
                    killed.UnionWith(selected);
                    break;
                case '-':
                    active.ExceptWith(selected);
                    break;
                default:
                    active.UnionWith(selected.Where(c => !killed.Contains(c)));
                    break;
            }
        }

        return active.Count > 0;
    }

    private sealed record Cipher(string Name, string Protocol, string Kx, string Au, string Enc, int Bits, string Mac);

    private static bool Matches(Cipher c, string word) => word switch
    {
        "ALL" or "HIGH" => c.Enc != "None",
        "DEFAULT" => c.Enc != "None" && c.Au != "None",
        "COMPLEMENTOFALL" or "eNULL" or "NULL" => c.Enc == "None",
        "COMPLEMENTOFDEFAULT" => c.Enc != "None" && c.Au == "None",
        "aNULL" => c.Au == "None",
        "kRSA" or "RSA" => c.Kx == "RSA",
        "kDHE" or "kEDH" => c.Kx == "DH",
        "DHE" or "EDH" => c.Kx == "DH" && c.Au != "None",
        "ADH" => c.Kx == "DH" && c.Au == "None",
        "kECDHE" or "kEECDH" => c.Kx == "ECDH",
        "ECDHE" or "EECDH" => c.Kx == "ECDH" && c.Au != "None",
        "AECDH" => c.Kx == "ECDH" && c.Au == "None",
        "ECDH" => c.Kx == "ECDH",
        "DH" => c.Kx == "DH",
        "kPSK" => c.Kx == "PSK",
        "kRSAPSK" => c.Kx == "RSAPSK",
        "kDHEPSK" => c.Kx == "DHEPSK",
        "kECDHEPSK" => c.Kx == "ECDHEPSK",
        "PSK" => c.Kx.EndsWith("PSK", StringComparison.Ordinal),
        "kSRP" or "SRP" => c.Kx == "SRP",
        "aSRP" => c.Au == "SRP",
        "aRSA" => c.Au == "RSA",
        "aDSS" or "DSS" => c.Au == "DSS",
        "aECDSA" or "ECDSA" => c.Au == "ECDSA",
        "aPSK" => c.Au == "PSK",
        "AES" => c.Enc.StartsWith("AES", StringComparison.Ordinal),
        "AES128" => c.Enc.StartsWith("AES", StringComparison.Ordinal) && c.Bits == 128,
        "AES256" => c.Enc.StartsWith("AES", StringComparison.Ordinal) && c.Bits == 256,
        "AESGCM" => c.Enc == "AESGCM",
        "AESCCM" => c.Enc.StartsWith("AESCCM", StringComparison.Ordinal),
        "AESCCM8" => c.Enc == "AESCCM8",
        "CAMELLIA" => c.Enc == "Camellia",
        "CAMELLIA128" => c.Enc == "Camellia" && c.Bits == 128,
        "CAMELLIA256" => c.Enc == "Camellia" && c.Bits == 256,
        "CHACHA20" => c.Enc.StartsWith("CHACHA20", StringComparison.Ordinal),
        "ARIA" or "ARIAGCM" => c.Enc == "ARIAGCM",
        "ARIA128" => c.Enc == "ARIAGCM" && c.Bits == 128,
        "ARIA256" => c.Enc == "ARIAGCM" && c.Bits == 256,
        "MD5" => c.Mac == "MD5",
        "SHA1" or "SHA" => c.Mac == "SHA1",
        "SHA256" => c.Mac == "SHA256",
        "SHA384" => c.Mac == "SHA384",
        "SSLv3" => c.Protocol == "SSLv3",
        "TLSv1" or "TLSv1.0" => c.Protocol == "TLSv1",
        "TLSv1.2" => c.Protocol == "TLSv1.2",
        _ => c.Name == word,
    };

    /// <summary>
    /// <c>openssl ciphers -V 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'</c> of Debian 12's OpenSSL 3.0 without the TLS 1.3
    /// suites: name, minimum protocol, key exchange, authentication, encryption(bits), MAC.
    /// </summary>
    private static readonly string[] Table =
    [
        "ECDHE-ECDSA-AES256-GCM-SHA384 TLSv1.2 ECDH ECDSA AESGCM(256) AEAD",
        "ECDHE-RSA-AES256-GCM-SHA384 TLSv1.2 ECDH RSA AESGCM(256) AEAD",
        "DHE-DSS-AES256-GCM-SHA384 TLSv1.2 DH DSS AESGCM(256) AEAD",
        "DHE-RSA-AES256-GCM-SHA384 TLSv1.2 DH RSA AESGCM(256) AEAD",
        "ECDHE-ECDSA-CHACHA20-POLY1305 TLSv1.2 ECDH ECDSA CHACHA20/POLY1305(256) AEAD",
        "ECDHE-RSA-CHACHA20-POLY1305 TLSv1.2 ECDH RSA CHACHA20/POLY1305(256) AEAD",
        "DHE-RSA-CHACHA20-POLY1305 TLSv1.2 DH RSA CHACHA20/POLY1305(256) AEAD",
        "ECDHE-ECDSA-AES256-CCM8 TLSv1.2 ECDH ECDSA AESCCM8(256) AEAD",
        "ECDHE-ECDSA-AES256-CCM TLSv1.2 ECDH ECDSA AESCCM(256) AEAD",
        "DHE-RSA-AES256-CCM8 TLSv1.2 DH RSA AESCCM8(256) AEAD",
        "DHE-RSA-AES256-CCM TLSv1.2 DH RSA AESCCM(256) AEAD",
        "ECDHE-ECDSA-ARIA256-GCM-SHA384 TLSv1.2 ECDH ECDSA ARIAGCM(256) AEAD",
        "ECDHE-ARIA256-GCM-SHA384 TLSv1.2 ECDH RSA ARIAGCM(256) AEAD",
        "DHE-DSS-ARIA256-GCM-SHA384 TLSv1.2 DH DSS ARIAGCM(256) AEAD",
        "DHE-RSA-ARIA256-GCM-SHA384 TLSv1.2 DH RSA ARIAGCM(256) AEAD",
        "ADH-AES256-GCM-SHA384 TLSv1.2 DH None AESGCM(256) AEAD",
        "ECDHE-ECDSA-AES128-GCM-SHA256 TLSv1.2 ECDH ECDSA AESGCM(128) AEAD",
        "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 ECDH RSA AESGCM(128) AEAD",
        "DHE-DSS-AES128-GCM-SHA256 TLSv1.2 DH DSS AESGCM(128) AEAD",
        "DHE-RSA-AES128-GCM-SHA256 TLSv1.2 DH RSA AESGCM(128) AEAD",
        "ECDHE-ECDSA-AES128-CCM8 TLSv1.2 ECDH ECDSA AESCCM8(128) AEAD",
        "ECDHE-ECDSA-AES128-CCM TLSv1.2 ECDH ECDSA AESCCM(128) AEAD",
        "DHE-RSA-AES128-CCM8 TLSv1.2 DH RSA AESCCM8(128) AEAD",
        "DHE-RSA-AES128-CCM TLSv1.2 DH RSA AESCCM(128) AEAD",
        "ECDHE-ECDSA-ARIA128-GCM-SHA256 TLSv1.2 ECDH ECDSA ARIAGCM(128) AEAD",
        "ECDHE-ARIA128-GCM-SHA256 TLSv1.2 ECDH RSA ARIAGCM(128) AEAD",
        "DHE-DSS-ARIA128-GCM-SHA256 TLSv1.2 DH DSS ARIAGCM(128) AEAD",
        "DHE-RSA-ARIA128-GCM-SHA256 TLSv1.2 DH RSA ARIAGCM(128) AEAD",
        "ADH-AES128-GCM-SHA256 TLSv1.2 DH None AESGCM(128) AEAD",
        "ECDHE-ECDSA-AES256-SHA384 TLSv1.2 ECDH ECDSA AES(256) SHA384",
        "ECDHE-RSA-AES256-SHA384 TLSv1.2 ECDH RSA AES(256) SHA384",
        "DHE-RSA-AES256-SHA256 TLSv1.2 DH RSA AES(256) SHA256",
        "DHE-DSS-AES256-SHA256 TLSv1.2 DH DSS AES(256) SHA256",
        "ECDHE-ECDSA-CAMELLIA256-SHA384 TLSv1.2 ECDH ECDSA Camellia(256) SHA384",
        "ECDHE-RSA-CAMELLIA256-SHA384 TLSv1.2 ECDH RSA Camellia(256) SHA384",
        "DHE-RSA-CAMELLIA256-SHA256 TLSv1.2 DH RSA Camellia(256) SHA256",
        "DHE-DSS-CAMELLIA256-SHA256 TLSv1.2 DH DSS Camellia(256) SHA256",
        "ADH-AES256-SHA256 TLSv1.2 DH None AES(256) SHA256",
        "ADH-CAMELLIA256-SHA256 TLSv1.2 DH None Camellia(256) SHA256",
        "ECDHE-ECDSA-AES128-SHA256 TLSv1.2 ECDH ECDSA AES(128) SHA256",
        "ECDHE-RSA-AES128-SHA256 TLSv1.2 ECDH RSA AES(128) SHA256",
        "DHE-RSA-AES128-SHA256 TLSv1.2 DH RSA AES(128) SHA256",
        "DHE-DSS-AES128-SHA256 TLSv1.2 DH DSS AES(128) SHA256",
        "ECDHE-ECDSA-CAMELLIA128-SHA256 TLSv1.2 ECDH ECDSA Camellia(128) SHA256",
        "ECDHE-RSA-CAMELLIA128-SHA256 TLSv1.2 ECDH RSA Camellia(128) SHA256",
        "DHE-RSA-CAMELLIA128-SHA256 TLSv1.2 DH RSA Camellia(128) SHA256",
        "DHE-DSS-CAMELLIA128-SHA256 TLSv1.2 DH DSS Camellia(128) SHA256",
        "ADH-AES128-SHA256 TLSv1.2 DH None AES(128) SHA256",
        "ADH-CAMELLIA128-SHA256 TLSv1.2 DH None Camellia(128) SHA256",
        "ECDHE-ECDSA-AES256-SHA TLSv1 ECDH ECDSA AES(256) SHA1",
        "ECDHE-RSA-AES256-SHA TLSv1 ECDH RSA AES(256) SHA1",
        "DHE-RSA-AES256-SHA SSLv3 DH RSA AES(256) SHA1",
        "DHE-DSS-AES256-SHA SSLv3 DH DSS AES(256) SHA1",
        "DHE-RSA-CAMELLIA256-SHA SSLv3 DH RSA Camellia(256) SHA1",
        "DHE-DSS-CAMELLIA256-SHA SSLv3 DH DSS Camellia(256) SHA1",
        "AECDH-AES256-SHA TLSv1 ECDH None AES(256) SHA1",
        "ADH-AES256-SHA SSLv3 DH None AES(256) SHA1",
        "ADH-CAMELLIA256-SHA SSLv3 DH None Camellia(256) SHA1",
        "ECDHE-ECDSA-AES128-SHA TLSv1 ECDH ECDSA AES(128) SHA1",
        "ECDHE-RSA-AES128-SHA TLSv1 ECDH RSA AES(128) SHA1",
        "DHE-RSA-AES128-SHA SSLv3 DH RSA AES(128) SHA1",
        "DHE-DSS-AES128-SHA SSLv3 DH DSS AES(128) SHA1",
        "DHE-RSA-CAMELLIA128-SHA SSLv3 DH RSA Camellia(128) SHA1",
        "DHE-DSS-CAMELLIA128-SHA SSLv3 DH DSS Camellia(128) SHA1",
        "AECDH-AES128-SHA TLSv1 ECDH None AES(128) SHA1",
        "ADH-AES128-SHA SSLv3 DH None AES(128) SHA1",
        "ADH-CAMELLIA128-SHA SSLv3 DH None Camellia(128) SHA1",
        "RSA-PSK-AES256-GCM-SHA384 TLSv1.2 RSAPSK RSA AESGCM(256) AEAD",
        "DHE-PSK-AES256-GCM-SHA384 TLSv1.2 DHEPSK PSK AESGCM(256) AEAD",
        "RSA-PSK-CHACHA20-POLY1305 TLSv1.2 RSAPSK RSA CHACHA20/POLY1305(256) AEAD",
        "DHE-PSK-CHACHA20-POLY1305 TLSv1.2 DHEPSK PSK CHACHA20/POLY1305(256) AEAD",
        "ECDHE-PSK-CHACHA20-POLY1305 TLSv1.2 ECDHEPSK PSK CHACHA20/POLY1305(256) AEAD",
        "DHE-PSK-AES256-CCM8 TLSv1.2 DHEPSK PSK AESCCM8(256) AEAD",
        "DHE-PSK-AES256-CCM TLSv1.2 DHEPSK PSK AESCCM(256) AEAD",
        "RSA-PSK-ARIA256-GCM-SHA384 TLSv1.2 RSAPSK RSA ARIAGCM(256) AEAD",
        "DHE-PSK-ARIA256-GCM-SHA384 TLSv1.2 DHEPSK PSK ARIAGCM(256) AEAD",
        "AES256-GCM-SHA384 TLSv1.2 RSA RSA AESGCM(256) AEAD",
        "AES256-CCM8 TLSv1.2 RSA RSA AESCCM8(256) AEAD",
        "AES256-CCM TLSv1.2 RSA RSA AESCCM(256) AEAD",
        "ARIA256-GCM-SHA384 TLSv1.2 RSA RSA ARIAGCM(256) AEAD",
        "PSK-AES256-GCM-SHA384 TLSv1.2 PSK PSK AESGCM(256) AEAD",
        "PSK-CHACHA20-POLY1305 TLSv1.2 PSK PSK CHACHA20/POLY1305(256) AEAD",
        "PSK-AES256-CCM8 TLSv1.2 PSK PSK AESCCM8(256) AEAD",
        "PSK-AES256-CCM TLSv1.2 PSK PSK AESCCM(256) AEAD",
        "PSK-ARIA256-GCM-SHA384 TLSv1.2 PSK PSK ARIAGCM(256) AEAD",
        "RSA-PSK-AES128-GCM-SHA256 TLSv1.2 RSAPSK RSA AESGCM(128) AEAD",
        "DHE-PSK-AES128-GCM-SHA256 TLSv1.2 DHEPSK PSK AESGCM(128) AEAD",
        "DHE-PSK-AES128-CCM8 TLSv1.2 DHEPSK PSK AESCCM8(128) AEAD",
        "DHE-PSK-AES128-CCM TLSv1.2 DHEPSK PSK AESCCM(128) AEAD",
        "RSA-PSK-ARIA128-GCM-SHA256 TLSv1.2 RSAPSK RSA ARIAGCM(128) AEAD",
        "DHE-PSK-ARIA128-GCM-SHA256 TLSv1.2 DHEPSK PSK ARIAGCM(128) AEAD",
        "AES128-GCM-SHA256 TLSv1.2 RSA RSA AESGCM(128) AEAD",
        "AES128-CCM8 TLSv1.2 RSA RSA AESCCM8(128) AEAD",
        "AES128-CCM TLSv1.2 RSA RSA AESCCM(128) AEAD",
        "ARIA128-GCM-SHA256 TLSv1.2 RSA RSA ARIAGCM(128) AEAD",
        "PSK-AES128-GCM-SHA256 TLSv1.2 PSK PSK AESGCM(128) AEAD",
        "PSK-AES128-CCM8 TLSv1.2 PSK PSK AESCCM8(128) AEAD",
        "PSK-AES128-CCM TLSv1.2 PSK PSK AESCCM(128) AEAD",
        "PSK-ARIA128-GCM-SHA256 TLSv1.2 PSK PSK ARIAGCM(128) AEAD",
        "AES256-SHA256 TLSv1.2 RSA RSA AES(256) SHA256",
        "CAMELLIA256-SHA256 TLSv1.2 RSA RSA Camellia(256) SHA256",
        "AES128-SHA256 TLSv1.2 RSA RSA AES(128) SHA256",
        "CAMELLIA128-SHA256 TLSv1.2 RSA RSA Camellia(128) SHA256",
        "ECDHE-PSK-AES256-CBC-SHA384 TLSv1 ECDHEPSK PSK AES(256) SHA384",
        "ECDHE-PSK-AES256-CBC-SHA TLSv1 ECDHEPSK PSK AES(256) SHA1",
        "SRP-DSS-AES-256-CBC-SHA SSLv3 SRP DSS AES(256) SHA1",
        "SRP-RSA-AES-256-CBC-SHA SSLv3 SRP RSA AES(256) SHA1",
        "SRP-AES-256-CBC-SHA SSLv3 SRP SRP AES(256) SHA1",
        "RSA-PSK-AES256-CBC-SHA384 TLSv1 RSAPSK RSA AES(256) SHA384",
        "DHE-PSK-AES256-CBC-SHA384 TLSv1 DHEPSK PSK AES(256) SHA384",
        "RSA-PSK-AES256-CBC-SHA SSLv3 RSAPSK RSA AES(256) SHA1",
        "DHE-PSK-AES256-CBC-SHA SSLv3 DHEPSK PSK AES(256) SHA1",
        "ECDHE-PSK-CAMELLIA256-SHA384 TLSv1 ECDHEPSK PSK Camellia(256) SHA384",
        "RSA-PSK-CAMELLIA256-SHA384 TLSv1 RSAPSK RSA Camellia(256) SHA384",
        "DHE-PSK-CAMELLIA256-SHA384 TLSv1 DHEPSK PSK Camellia(256) SHA384",
        "AES256-SHA SSLv3 RSA RSA AES(256) SHA1",
        "CAMELLIA256-SHA SSLv3 RSA RSA Camellia(256) SHA1",
        "PSK-AES256-CBC-SHA384 TLSv1 PSK PSK AES(256) SHA384",
        "PSK-AES256-CBC-SHA SSLv3 PSK PSK AES(256) SHA1",
        "PSK-CAMELLIA256-SHA384 TLSv1 PSK PSK Camellia(256) SHA384",
        "ECDHE-PSK-AES128-CBC-SHA256 TLSv1 ECDHEPSK PSK AES(128) SHA256",
        "ECDHE-PSK-AES128-CBC-SHA TLSv1 ECDHEPSK PSK AES(128) SHA1",
        "SRP-DSS-AES-128-CBC-SHA SSLv3 SRP DSS AES(128) SHA1",
        "SRP-RSA-AES-128-CBC-SHA SSLv3 SRP RSA AES(128) SHA1",
        "SRP-AES-128-CBC-SHA SSLv3 SRP SRP AES(128) SHA1",
        "RSA-PSK-AES128-CBC-SHA256 TLSv1 RSAPSK RSA AES(128) SHA256",
        "DHE-PSK-AES128-CBC-SHA256 TLSv1 DHEPSK PSK AES(128) SHA256",
        "RSA-PSK-AES128-CBC-SHA SSLv3 RSAPSK RSA AES(128) SHA1",
        "DHE-PSK-AES128-CBC-SHA SSLv3 DHEPSK PSK AES(128) SHA1",
        "ECDHE-PSK-CAMELLIA128-SHA256 TLSv1 ECDHEPSK PSK Camellia(128) SHA256",
        "RSA-PSK-CAMELLIA128-SHA256 TLSv1 RSAPSK RSA Camellia(128) SHA256",
        "DHE-PSK-CAMELLIA128-SHA256 TLSv1 DHEPSK PSK Camellia(128) SHA256",
        "AES128-SHA SSLv3 RSA RSA AES(128) SHA1",
        "CAMELLIA128-SHA SSLv3 RSA RSA Camellia(128) SHA1",
        "PSK-AES128-CBC-SHA256 TLSv1 PSK PSK AES(128) SHA256",
        "PSK-AES128-CBC-SHA SSLv3 PSK PSK AES(128) SHA1",
        "PSK-CAMELLIA128-SHA256 TLSv1 PSK PSK Camellia(128) SHA256",
        "ECDHE-ECDSA-NULL-SHA TLSv1 ECDH ECDSA None SHA1",
        "ECDHE-RSA-NULL-SHA TLSv1 ECDH RSA None SHA1",
        "AECDH-NULL-SHA TLSv1 ECDH None None SHA1",
        "NULL-SHA256 TLSv1.2 RSA RSA None SHA256",
        "ECDHE-PSK-NULL-SHA384 TLSv1 ECDHEPSK PSK None SHA384",
        "ECDHE-PSK-NULL-SHA256 TLSv1 ECDHEPSK PSK None SHA256",
        "ECDHE-PSK-NULL-SHA TLSv1 ECDHEPSK PSK None SHA1",
        "RSA-PSK-NULL-SHA384 TLSv1 RSAPSK RSA None SHA384",
        "RSA-PSK-NULL-SHA256 TLSv1 RSAPSK RSA None SHA256",
        "DHE-PSK-NULL-SHA384 TLSv1 DHEPSK PSK None SHA384",
        "DHE-PSK-NULL-SHA256 TLSv1 DHEPSK PSK None SHA256",
        "RSA-PSK-NULL-SHA SSLv3 RSAPSK RSA None SHA1",
        "DHE-PSK-NULL-SHA SSLv3 DHEPSK PSK None SHA1",
        "NULL-SHA SSLv3 RSA RSA None SHA1",
        "NULL-MD5 SSLv3 RSA RSA None MD5",
        "PSK-NULL-SHA384 TLSv1 PSK PSK None SHA384",
        "PSK-NULL-SHA256 TLSv1 PSK PSK None SHA256",
        "PSK-NULL-SHA SSLv3 PSK PSK None SHA1",
    ];

    private static readonly FrozenSet<Cipher> All = Table.Select(Parse).ToFrozenSet();

    private static Cipher Parse(string line)
    {
        var f = line.Split(' ');
        var open = f[4].IndexOf('(', StringComparison.Ordinal);
        var enc = open < 0 ? f[4] : f[4][..open];
        var bits = open < 0 ? 0 : int.Parse(f[4].AsSpan(open + 1, f[4].Length - open - 2), System.Globalization.CultureInfo.InvariantCulture);
        return new Cipher(f[0], f[1], f[2], f[3], enc.Split('/')[0], bits, f[5]);
    }
}
