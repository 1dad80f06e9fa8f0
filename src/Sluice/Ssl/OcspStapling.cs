using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sluice.Configuration;
using Sluice.Configuration.Values;

namespace Sluice.Ssl;

/// <summary>
/// What nginx's <c>ngx_ssl_stapling</c> does when a context is built with <c>ssl_stapling on</c>: for each
/// certificate (most recently loaded first, as OpenSSL lists them) use the response file, or find the issuer
/// (in the certificate's chain, then among the trusted certificates) and the OCSP responder (configured, or the
/// certificate's Authority Information Access). When that fails nginx only warns and staples nothing.
/// </summary>
internal sealed class OcspStapling
{
    private const string AuthorityInfoAccessOid = "1.3.6.1.5.5.7.1.1";
    private const string OcspMethodOid = "1.3.6.1.5.5.7.48.1";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    private readonly ConfigCompiler _compiler;
    private readonly IReadOnlyList<X509Certificate2> _trusted;

    public OcspStapling(ConfigCompiler compiler, IReadOnlyList<X509Certificate2> trusted)
    {
        _compiler = compiler;
        _trusted = trusted;
    }

    public void Check(IReadOnlyList<LoadedCertificate> certificates, string? responseFile, string? responder)
    {
        foreach (var certificate in certificates.Reverse())
        {
            if (!string.IsNullOrEmpty(responseFile))
            {
                CheckResponseFile(_compiler.Environment.FullConfPath(responseFile));
                continue;
            }

            if (!HasIssuer(certificate))
            {
                Ignored($"issuer certificate not found for certificate \"{certificate.Name}\"");
                continue;
            }

            var url = string.IsNullOrEmpty(responder) ? ResponderUrl(certificate.Leaf) : responder;
            if (url is null)
            {
                Ignored($"no OCSP responder URL in the certificate \"{certificate.Name}\"");
                continue;
            }

            if (ResponderProblem(url, _compiler.Environment.Resolver) is { } problem)
            {
                Ignored($"{problem} in the certificate \"{certificate.Name}\"");
            }
        }
    }

    /// <summary>
    /// Why an OCSP responder URL cannot be used (nginx accepts only <c>http://host[:port][/uri]</c>, and resolves
    /// the host now), worded as nginx words it before " in …"; null when it can.
    /// </summary>
    public static string? ResponderProblem(string url, IHostResolver resolver)
    {
        if (url.Length <= "http://".Length || !url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return $"invalid URL prefix in OCSP responder \"{url}\"";
        }

        var rest = url["http://".Length..];
        var parsed = NginxUrl.Parse(rest, new UrlParseOptions { UriPart = true, DefaultPort = 80 }, resolver);
        return parsed.Ok ? null : $"{parsed.Error} in OCSP responder \"{rest}\"";
    }

    private void Ignored(string why) => _compiler.Warn($"\"ssl_stapling\" ignored, {why}", null);

    private static void CheckResponseFile(string path)
    {
        var file = SslFiles.Read(path);
        if (!file.Ok)
        {
            throw OpenSslErrors.Failure($"BIO_new_file(\"{path}\") failed", OpenSslErrors.Fopen(path, "rb", file.Errno, file.ErrorText));
        }

        if (!IsOcspResponse(file.Bytes!))
        {
            throw OpenSslErrors.Failure($"d2i_OCSP_RESPONSE_bio(\"{path}\") failed", OpenSslErrors.OcspResponseWrongTag);
        }
    }

    /// <summary>An OCSPResponse (RFC 6960): a SEQUENCE of the status and, optionally, the [0] response bytes.</summary>
    private static bool IsOcspResponse(byte[] der)
    {
        try
        {
            var response = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            response.ReadEnumeratedBytes();
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private bool HasIssuer(LoadedCertificate certificate) =>
        certificate.Chain.Concat(_trusted).Any(candidate => Issued(candidate, certificate.Leaf));

    /// <summary>OpenSSL's <c>X509_check_issued</c>: names match, key identifiers agree, the issuer may sign certificates.</summary>
    private static bool Issued(X509Certificate2 issuer, X509Certificate2 subject)
    {
        if (!issuer.SubjectName.RawData.AsSpan().SequenceEqual(subject.IssuerName.RawData))
        {
            return false;
        }

        var authorityKey = subject.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier;
        var subjectKey = issuer.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes;
        if (authorityKey is { } aki && subjectKey is { } ski && !aki.Span.SequenceEqual(ski.Span))
        {
            return false;
        }

        var usage = issuer.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        return usage is null || usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign);
    }

    /// <summary>The first OCSP URI of the Authority Information Access extension (OpenSSL's <c>X509_get1_ocsp</c>).</summary>
    private static string? ResponderUrl(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions[AuthorityInfoAccessOid];
        if (extension is null)
        {
            return null;
        }

        try
        {
            var descriptions = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (descriptions.HasData)
            {
                var description = descriptions.ReadSequence();
                var method = description.ReadObjectIdentifier();
                if (method == OcspMethodOid && description.PeekTag().HasSameClassAndValue(UriTag))
                {
                    return description.ReadCharacterString(UniversalTagNumber.IA5String, UriTag);
                }
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            return null;
        }

        return null;
    }
}
