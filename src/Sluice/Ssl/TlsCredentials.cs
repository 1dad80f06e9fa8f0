using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sluice.Configuration;

namespace Sluice.Ssl;

/// <summary>A certificate file loaded as nginx loads it: the first certificate, then the rest of the chain.</summary>
internal sealed record LoadedCertificate(string Name, X509Certificate2 Leaf, IReadOnlyList<X509Certificate2> Chain);

/// <summary>
/// Loads <c>ssl_certificate</c> / <c>ssl_certificate_key</c> pairs at configuration time, with the checks and
/// messages of nginx's <c>ngx_ssl_certificate</c> on OpenSSL 3.0: unreadable or non-PEM files, undecryptable keys,
/// and a key that does not belong to the certificate of its type.
/// </summary>
internal sealed class TlsCredentials
{
    private static readonly string[] KeyLabels = ["PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY"];

    private readonly ConfigEnvironment _environment;

    /// <summary>The certificate currently installed for each key type, as OpenSSL keeps one per type in a context.</summary>
    private readonly Dictionary<string, X509Certificate2> _byKeyType = new(StringComparer.Ordinal);

    public TlsCredentials(ConfigEnvironment environment) => _environment = environment;

    /// <summary>Certificates in the order they were loaded.</summary>
    public List<LoadedCertificate> Certificates { get; } = [];

    public void Add(string certificate, string key, IReadOnlyList<string>? passwords)
    {
        var loaded = LoadCertificate(certificate);
        Certificates.Add(loaded);
        _byKeyType[KeyType(loaded.Leaf.PublicKey.Oid.Value)] = loaded.Leaf;
        CheckKey(key, passwords);
    }

    private LoadedCertificate LoadCertificate(string written)
    {
        var (name, content) = ReadSource(written, "r", "cannot load certificate");
        var scan = PemReader.Scan(content);
        var certificates = scan.Blocks.Where(b => b.IsCertificate).ToList();
        if (certificates.Count == 0)
        {
            throw OpenSslErrors.Failure($"cannot load certificate \"{name}\": PEM_read_bio_X509_AUX() failed", scan.Error ?? OpenSslErrors.NoStartLine("TRUSTED CERTIFICATE"));
        }

        if (scan.Error is not null)
        {
            throw OpenSslErrors.Failure($"cannot load certificate \"{name}\": PEM_read_bio_X509() failed", scan.Error);
        }

        var decoded = new List<X509Certificate2>(certificates.Count);
        foreach (var block in certificates)
        {
            try
            {
                decoded.Add(X509CertificateLoader.LoadCertificate(block.Der));
            }
            catch (CryptographicException)
            {
                throw OpenSslErrors.Failure($"cannot load certificate \"{name}\": PEM_read_bio_X509_AUX() failed", OpenSslErrors.AsnHeaderTooLong);
            }
        }

        return new LoadedCertificate(name, decoded[0], decoded[1..]);
    }

    private void CheckKey(string written, IReadOnlyList<string>? passwords)
    {
        if (written.StartsWith("engine:", StringComparison.Ordinal))
        {
            // Keys held by an OpenSSL engine cannot be checked (or used) without OpenSSL.
            return;
        }

        var (name, content) = ReadSource(written, "r", "cannot load certificate key");
        var block = PemReader.Scan(content).Blocks.FirstOrDefault(b => KeyLabels.Contains(b.Label))
            ?? throw OpenSslErrors.Failure($"cannot load certificate key \"{name}\": PEM_read_bio_PrivateKey() failed", OpenSslErrors.KeyDecoderUnsupported);

        using var key = ImportKey(block, passwords, name);
        if (key is null)
        {
            return;
        }

        var type = key is RSA ? KeyType(RsaOid) : key is ECDsa ? KeyType(EcOid) : KeyType(DsaOid);
        if (_byKeyType.TryGetValue(type, out var certificate) && !SamePublicKey(certificate, key))
        {
            throw OpenSslErrors.Failure($"SSL_CTX_use_PrivateKey(\"{name}\") failed", OpenSslErrors.KeyValuesMismatch);
        }
    }

    /// <summary>The key of a PEM block; null for key kinds .NET cannot read (legacy-encrypted PEM, Ed25519 …), which are then not checked.</summary>
    private static AsymmetricAlgorithm? ImportKey(PemBlock block, IReadOnlyList<string>? passwords, string name)
    {
        if (block.LegacyEncrypted)
        {
            return null;
        }

        if (block.Label == "ENCRYPTED PRIVATE KEY")
        {
            if (passwords is null)
            {
                throw OpenSslErrors.Failure($"cannot load certificate key \"{name}\": PEM_read_bio_PrivateKey() failed", OpenSslErrors.NoPassword);
            }

            foreach (var password in passwords)
            {
                if (TryImport(key => key.ImportEncryptedPkcs8PrivateKey(password.AsSpan(), block.Der, out _)) is { } decrypted)
                {
                    return decrypted;
                }
            }

            throw OpenSslErrors.Failure($"cannot load certificate key \"{name}\": PEM_read_bio_PrivateKey() failed", OpenSslErrors.WrongPassword);
        }

        return block.Label switch
        {
            "RSA PRIVATE KEY" => TryImport<RSA>(RSA.Create, key => key.ImportRSAPrivateKey(block.Der, out _)),
            "EC PRIVATE KEY" => TryImport<ECDsa>(ECDsa.Create, key => key.ImportECPrivateKey(block.Der, out _)),
            "PRIVATE KEY" => TryImport(key => key.ImportPkcs8PrivateKey(block.Der, out _)),
            _ => null,
        };
    }

    /// <summary>Tries the key types .NET can read from PKCS#8.</summary>
    private static AsymmetricAlgorithm? TryImport(Action<AsymmetricAlgorithm> import) =>
        TryImport<RSA>(RSA.Create, import) ?? TryImport<ECDsa>(ECDsa.Create, import) ?? (AsymmetricAlgorithm?)TryImport<DSA>(DSA.Create, import);

    private static T? TryImport<T>(Func<T> create, Action<T> import)
        where T : AsymmetricAlgorithm
    {
        var key = create();
        try
        {
            import(key);
            return key;
        }
        catch (CryptographicException)
        {
            key.Dispose();
            return null;
        }
    }

    private static bool SamePublicKey(X509Certificate2 certificate, AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => certificate.GetRSAPublicKey() is { } pub && pub.ExportParameters(false).Modulus.AsSpan().SequenceEqual(rsa.ExportParameters(false).Modulus),
        ECDsa ec => certificate.GetECDsaPublicKey() is { } pub && SamePoint(pub.ExportParameters(false).Q, ec.ExportParameters(false).Q),
        _ => true,
    };

    private static bool SamePoint(ECPoint a, ECPoint b) => a.X.AsSpan().SequenceEqual(b.X) && a.Y.AsSpan().SequenceEqual(b.Y);

    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private const string DsaOid = "1.2.840.10040.4.1";

    private static string KeyType(string? oid) => oid ?? "";

    /// <summary>The text of a <c>data:</c> value, or the file under the configuration directory; the name is the one nginx prints.</summary>
    private (string Name, byte[] Content) ReadSource(string written, string mode, string what)
    {
        if (written.StartsWith("data:", StringComparison.Ordinal))
        {
            return (written, System.Text.Encoding.Latin1.GetBytes(written["data:".Length..]));
        }

        var path = _environment.FullConfPath(written);
        var file = SslFiles.Read(path);
        return file.Ok
            ? (path, file.Bytes!)
            : throw OpenSslErrors.Failure($"{what} \"{path}\": BIO_new_file() failed", OpenSslErrors.Fopen(path, mode, file.Errno, file.ErrorText));
    }
}
