using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sluice.Configuration;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Syntax;
using Sluice.Http.Configuration;
using Sluice.Variables;
using S = Sluice.Ssl.SslSettings;

namespace Sluice.Ssl;

/// <summary>
/// nginx's <c>ngx_http_ssl_merge_srv_conf</c> for one server, in its order: the certificate/key pairing, then —
/// only for a server that has a certificate, <c>ssl on</c> or <c>ssl_reject_handshake on</c> — everything nginx
/// checks while building the TLS context: cipher list, certificate and key files, client and trusted CA files,
/// CRL, OCSP, DH parameters, curves, ticket keys, stapling, <c>ssl_conf_command</c>. Messages carry no location
/// (nginx logs them outside the parser) except the file errors of ticket keys, which name the end of http.
/// </summary>
internal sealed class SslServerValidator
{
    private readonly ConfigCompiler _compiler;
    private readonly HttpConfState _state;
    private readonly ConfScope _scope;

    private SslServerValidator(ConfigCompiler compiler, HttpConfState state, ConfScope scope)
    {
        _compiler = compiler;
        _state = state;
        _scope = scope;
    }

    public static void ValidateAll(ConfigCompiler compiler, HttpConfState state)
    {
        foreach (var server in state.Servers)
        {
            new SslServerValidator(compiler, state, server.Scope).Validate();
        }
    }

    private ConfigEnvironment Environment => _compiler.Environment;

    private void Validate()
    {
        if (!NeedsContext())
        {
            return;
        }

        var ciphers = _scope.Get(S.Ciphers) ?? S.DefaultCiphers;
        if (!CipherStrings.SelectsAny(ciphers))
        {
            throw OpenSslErrors.Failure($"SSL_CTX_set_cipher_list(\"{ciphers}\") failed", OpenSslErrors.NoCipherMatch);
        }

        var credentials = LoadCredentials();
        var trusted = LoadVerifyCertificates();
        CheckCrl();
        CheckOcsp();
        CheckDhParam();
        CheckEcdhCurve();
        CheckSessionTicketKeys();
        if (_scope.Get(S.Stapling))
        {
            new OcspStapling(_compiler, trusted).Check(credentials, _scope.Get(S.StaplingFile), _scope.Get(S.StaplingResponder));
        }

        CheckConfCommands();
    }

    /// <summary>The pairing checks; true when nginx goes on to build a TLS context for the server.</summary>
    private bool NeedsContext()
    {
        var certificates = _scope.GetList(S.Certificates);
        var keys = _scope.GetList(S.CertificateKeys);
        var rejectHandshake = _scope.Get(S.RejectHandshake);
        if (_scope.Get(S.Enable) == true)
        {
            var at = _scope.WhereSet(S.Enable);
            if (certificates.Count == 0)
            {
                return rejectHandshake ? true : throw OpenSslErrors.Failure($"no \"ssl_certificate\" is defined for the \"ssl\" directive in {at}");
            }

            if (keys.Count == 0)
            {
                throw OpenSslErrors.Failure($"no \"ssl_certificate_key\" is defined for the \"ssl\" directive in {at}");
            }

            return keys.Count >= certificates.Count
                ? true
                : throw OpenSslErrors.Failure($"no \"ssl_certificate_key\" is defined for certificate \"{certificates[^1]}\" and the \"ssl\" directive in {at}");
        }

        if (certificates.Count == 0)
        {
            return rejectHandshake;
        }

        // As written, not resolved: nginx names the directive's argument here.
        return keys.Count >= certificates.Count
            ? true
            : throw OpenSslErrors.Failure($"no \"ssl_certificate_key\" is defined for certificate \"{certificates[^1]}\"");
    }

    /// <summary>Loads each certificate and its key; names with variables are only compiled, as nginx loads them per handshake.</summary>
    private List<LoadedCertificate> LoadCredentials()
    {
        var certificates = _scope.GetList(S.Certificates);
        var keys = _scope.GetList(S.CertificateKeys);
        var pairs = certificates.Select((certificate, i) => (Certificate: certificate, Key: keys[i])).ToList();
        if (pairs.Any(p => VariableTemplate.HasVariables(p.Certificate) || VariableTemplate.HasVariables(p.Key)))
        {
            foreach (var (certificate, key) in pairs)
            {
                UseTemplate(certificate);
                UseTemplate(key);
            }

            return [];
        }

        var credentials = new TlsCredentials(Environment);
        foreach (var (certificate, key) in pairs)
        {
            credentials.Add(certificate, key, _scope.Get(S.Passwords));
        }

        return credentials.Certificates;
    }

    private void UseTemplate(string text) => _state.Variables.Use(VariableTemplate.Parse(text, HttpEnd));

    /// <summary>The client CA list (when clients are verified) and the trusted certificates, as one store.</summary>
    private List<X509Certificate2> LoadVerifyCertificates()
    {
        var store = new List<X509Certificate2>();
        var verify = _scope.Get(S.VerifyClient);
        if (verify != SslVerifyClient.Off)
        {
            var clientCertificate = _scope.Get(S.ClientCertificate);
            if (string.IsNullOrEmpty(clientCertificate))
            {
                if (verify != SslVerifyClient.OptionalNoCa)
                {
                    throw OpenSslErrors.Failure("no ssl_client_certificate for ssl_verify_client");
                }
            }
            else
            {
                store.AddRange(LoadCaFile(clientCertificate, "SSL_CTX_load_verify_locations"));
            }
        }

        if (_scope.Get(S.TrustedCertificate) is { Length: > 0 } trusted)
        {
            store.AddRange(LoadCaFile(trusted, "SSL_CTX_load_verify_locations"));
        }

        return store;
    }

    private void CheckCrl()
    {
        if (_scope.Get(S.Crl) is { Length: > 0 } crl)
        {
            LoadCaFile(crl, "X509_LOOKUP_load_file");
        }
    }

    /// <summary>OpenSSL's <c>X509_load_cert_crl_file</c>: every certificate and CRL of a PEM file; at least one.</summary>
    private List<X509Certificate2> LoadCaFile(string written, string function)
    {
        var path = Environment.FullConfPath(written);
        var failed = $"{function}(\"{path}\") failed";
        var file = SslFiles.Read(path);
        if (!file.Ok)
        {
            throw OpenSslErrors.Failure(failed, OpenSslErrors.Fopen(path, "r", file.Errno, file.ErrorText), OpenSslErrors.X509SystemLib);
        }

        var scan = PemReader.Scan(file.Bytes!);
        if (scan.Error is not null)
        {
            throw OpenSslErrors.Failure(failed, scan.Error, OpenSslErrors.PemLibInX509);
        }

        var certificates = new List<X509Certificate2>();
        var crls = 0;
        foreach (var block in scan.Blocks)
        {
            if (block.Label == "X509 CRL")
            {
                crls++;
            }
            else if (block.IsCertificate)
            {
                try
                {
                    certificates.Add(X509CertificateLoader.LoadCertificate(block.Der));
                }
                catch (CryptographicException)
                {
                    throw OpenSslErrors.Failure(failed, OpenSslErrors.AsnHeaderTooLong, OpenSslErrors.PemLibInX509);
                }
            }
        }

        return certificates.Count + crls > 0 ? certificates : throw OpenSslErrors.Failure(failed, OpenSslErrors.NoCertificateOrCrl);
    }

    private void CheckOcsp()
    {
        if (_scope.Get(S.Ocsp) == SslOcsp.Off)
        {
            return;
        }

        if (_scope.Get(S.VerifyClient) == SslVerifyClient.OptionalNoCa)
        {
            throw OpenSslErrors.Failure("\"ssl_ocsp\" is incompatible with \"ssl_verify_client optional_no_ca\"");
        }

        if (_scope.Get(S.OcspResponder) is { Length: > 0 } responder
            && OcspStapling.ResponderProblem(responder, Environment.Resolver) is { } problem)
        {
            throw OpenSslErrors.Failure($"{problem} in \"ssl_ocsp_responder\"");
        }
    }

    private void CheckDhParam()
    {
        if (_scope.Get(S.DhParam) is not { Length: > 0 } written)
        {
            return;
        }

        var path = Environment.FullConfPath(written);
        var file = SslFiles.Read(path);
        if (!file.Ok)
        {
            throw OpenSslErrors.Failure($"BIO_new_file(\"{path}\") failed", OpenSslErrors.Fopen(path, "r", file.Errno, file.ErrorText));
        }

        var scan = PemReader.Scan(file.Bytes!);
        if (!scan.Blocks.Any(b => b.Label is "DH PARAMETERS" or "X9.42 DH PARAMETERS"))
        {
            throw OpenSslErrors.Failure($"PEM_read_bio_DHparams(\"{path}\") failed", scan.Error ?? OpenSslErrors.NoStartLine("DH PARAMETERS"));
        }
    }

    private void CheckEcdhCurve()
    {
        var curves = _scope.Get(S.EcdhCurve) ?? S.DefaultEcdhCurve;
        if (curves != S.DefaultEcdhCurve && TlsGroups.Problems(curves) is { } queue)
        {
            throw OpenSslErrors.Failure($"SSL_CTX_set1_curves_list(\"{curves}\") failed", queue);
        }
    }

    /// <summary>Each ticket key file must hold exactly 48 or 80 bytes (nginx reports these with the end of http as location).</summary>
    private void CheckSessionTicketKeys()
    {
        foreach (var written in _scope.GetList(S.SessionTicketKeys))
        {
            var path = Environment.FullConfPath(written);
            if (Directory.Exists(path))
            {
                throw new ConfigException($"\"{path}\" must be 48 or 80 bytes", HttpEnd);
            }

            var file = SslFiles.Read(path);
            if (!file.Ok)
            {
                throw new ConfigException($"open() \"{path}\" failed ({file.Errno}: {file.ErrorText})", HttpEnd);
            }

            if (file.Bytes!.Length is not (48 or 80))
            {
                throw new ConfigException($"\"{path}\" must be 48 or 80 bytes", HttpEnd);
            }
        }
    }

    private void CheckConfCommands()
    {
        foreach (var (name, value) in _scope.GetList(S.ConfCommands))
        {
            if (!SslConfCommands.IsKnown(name))
            {
                throw OpenSslErrors.Failure($"SSL_CONF_cmd(\"{name}\", \"{value}\") failed", OpenSslErrors.UnknownConfCommand(name));
            }
        }
    }

    /// <summary>Where nginx's parser stands while it merges: the closing brace of http.</summary>
    private SourceLocation HttpEnd => _state.BlockEnd ?? _state.Http!.Location;
}
