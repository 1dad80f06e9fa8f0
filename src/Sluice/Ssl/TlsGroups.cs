using System.Collections.Frozen;

namespace Sluice.Ssl;

/// <summary>
/// The key-exchange groups OpenSSL 3.0 knows, by their TLS and OpenSSL names (case-sensitive, except that
/// X25519/X448 have a lower-case TLS name), for <c>ssl_ecdh_curve</c>'s <c>SSL_CTX_set1_curves_list</c>.
/// </summary>
internal static class TlsGroups
{
    private static readonly FrozenDictionary<string, int> Ids = new (string Names, int Id)[]
    {
        ("sect163k1 K-163", 1), ("sect163r1", 2), ("sect163r2 B-163", 3), ("sect193r1", 4), ("sect193r2", 5),
        ("sect233k1 K-233", 6), ("sect233r1 B-233", 7), ("sect239k1", 8), ("sect283k1 K-283", 9), ("sect283r1 B-283", 10),
        ("sect409k1 K-409", 11), ("sect409r1 B-409", 12), ("sect571k1 K-571", 13), ("sect571r1 B-571", 14),
        ("secp160k1", 15), ("secp160r1", 16), ("secp160r2", 17), ("secp192k1", 18), ("secp192r1 P-192 prime192v1", 19),
        ("secp224k1", 20), ("secp224r1 P-224", 21), ("secp256k1", 22), ("secp256r1 P-256 prime256v1", 23),
        ("secp384r1 P-384", 24), ("secp521r1 P-521", 25), ("brainpoolP256r1", 26), ("brainpoolP384r1", 27),
        ("brainpoolP512r1", 28), ("x25519 X25519", 29), ("x448 X448", 30),
        ("ffdhe2048", 256), ("ffdhe3072", 257), ("ffdhe4096", 258), ("ffdhe6144", 259), ("ffdhe8192", 260),
    }
    .SelectMany(g => g.Names.Split(' ').Select(name => KeyValuePair.Create(name, g.Id)))
    .ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Null when OpenSSL takes the colon-separated list; otherwise the error queue it leaves — empty for an empty
    /// element or a group named twice, which OpenSSL refuses without a reason.
    /// </summary>
    public static string[]? Problems(string list)
    {
        var seen = new HashSet<int>();
        foreach (var name in list.Split(':'))
        {
            if (name.Length == 0)
            {
                return [];
            }

            if (!Ids.TryGetValue(name, out var id))
            {
                return [OpenSslErrors.GroupCannotBeSet(name)];
            }

            if (!seen.Add(id))
            {
                return [];
            }
        }

        return null;
    }
}
