using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sluice.Tests.Ssl;

/// <summary>Certificates, keys and other TLS files made in-process in a temporary directory, shared by the SSL tests.</summary>
public sealed class SslTestFiles : IDisposable
{
    public SslTestFiles()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sluice-ssl-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);

        using var rsa = RSA.Create(2048);
        WriteSelfSigned("cert", rsa, "CN=localhost", ocspUrl: null);
        File.WriteAllText(Path("key.pem"), rsa.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path("enc.key"), rsa.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000)));
        File.WriteAllText(Path("pw.txt"), "wrong\r\nsecret\n");

        using var other = RSA.Create(2048);
        File.WriteAllText(Path("other.key"), other.ExportPkcs8PrivateKeyPem());

        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WriteSelfSigned("ec", ec, "CN=ec", ocspUrl: null);
        File.WriteAllText(Path("ec.key"), ec.ExportECPrivateKeyPem());

        WriteSelfSigned("ocsp-ip", rsa, "CN=ocsp-ip", "http://127.0.0.1:8080/ocsp");
        WriteSelfSigned("ocsp-name", rsa, "CN=ocsp-name", "http://ocsp.example.com/");
        WriteSelfSigned("ocsp-ftp", rsa, "CN=ocsp-ftp", "ftp://ocsp.example.com/");

        File.WriteAllBytes(Path("ticket48.key"), new byte[48]);
        File.WriteAllBytes(Path("ticket10.key"), new byte[10]);
        File.WriteAllText(Path("garbled.pem"), "-----BEGIN CERTIFICATE-----\nAAAA!!!!notbase64\n-----END CERTIFICATE-----\n");
        File.WriteAllText(Path("truncated.pem"), File.ReadAllText(Path("cert.pem"))[..300]);
    }

    public string Directory { get; }

    public string Path(string name) => System.IO.Path.Combine(Directory, name);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private void WriteSelfSigned(string name, AsymmetricAlgorithm key, string subject, string? ocspUrl)
    {
        var request = key switch
        {
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa ecdsa => new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA256),
            _ => throw new ArgumentException("unsupported key", nameof(key)),
        };

        var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, false);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(ski);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski));
        if (ocspUrl is not null)
        {
            request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([ocspUrl], null));
        }

        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path(name + ".pem"), certificate.ExportCertificatePem());
    }
}
