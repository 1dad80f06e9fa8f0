using Sluice.Configuration;
using Sluice.Ssl;
using Sluice.Tests.Configuration;

namespace Sluice.Tests.Ssl;

public sealed class SslDirectivesTests : IClassFixture<SslTestFiles>
{
    private readonly SslTestFiles _files;

    public SslDirectivesTests(SslTestFiles files) => _files = files;

    private string Cert => _files.Path("cert.pem");

    private string Key => _files.Path("key.pem");

    /// <summary>A TLS server on one line (line 3 of the test file) with the test certificate and the extra directives.</summary>
    private ConfigLoadResult Server(string directives, string? certificate = null, string? key = null) =>
        ConfigTestHelper.LoadHttp($"server {{ listen 8443 ssl; ssl_certificate {certificate ?? Cert}; ssl_certificate_key {key ?? Key}; {directives} }}");

    [Fact]
    public void A_working_server_is_valid() =>
        Server("ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384; ssl_session_cache shared:SSL:10m; ssl_session_timeout 10m; ssl_ecdh_curve X25519:prime256v1:secp384r1;").AssertValid();

    [Fact]
    public void Certificate_without_key_names_it_as_written()
    {
        var result = ConfigTestHelper.LoadHttp("server { listen 8443 ssl; ssl_certificate ssl/fullchain.pem; }");
        Assert.Equal("no \"ssl_certificate_key\" is defined for certificate \"ssl/fullchain.pem\"", result.FirstError());
    }

    [Fact]
    public void Listen_ssl_without_certificate_names_the_server_line()
    {
        var result = ConfigTestHelper.Load("events {}\nhttp {\n  server { listen 8080; }\n\n  server {\n    listen 8443 ssl;\n  }\n}\n");
        Assert.Equal("no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive in F:5", result.FirstError());
    }

    [Fact]
    public void Default_server_rejecting_handshakes_needs_certificates_in_the_others()
    {
        ConfigTestHelper.LoadHttp("server { listen 8443 ssl; ssl_reject_handshake on; }").AssertValid();
        var result = ConfigTestHelper.Load("events {}\nhttp {\n  server { listen 8443 ssl; ssl_reject_handshake on; }\n  server { listen 8443 ssl; server_name a; }\n}\n");
        Assert.Equal("no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive in F:4", result.FirstError());
    }

    [Fact]
    public void Deprecated_ssl_on_warns_and_needs_a_certificate()
    {
        var result = ConfigTestHelper.LoadHttp("server { listen 8443; ssl on; }");
        Assert.Equal(["the \"ssl\" directive is deprecated, use the \"listen ... ssl\" directive instead in F:3"], result.Warnings());
        Assert.Equal("no \"ssl_certificate\" is defined for the \"ssl\" directive in F:3", result.FirstError());
    }

    [Fact]
    public void Missing_certificate_file_is_reported_like_openssl()
    {
        var missing = _files.Path("missing.pem");
        Assert.Equal(
            $"cannot load certificate \"{missing}\": BIO_new_file() failed (SSL: error:80000002:system library::No such file or directory:calling fopen({missing}, r) error:10000080:BIO routines::no such file)",
            Server("", certificate: missing).FirstError());
    }

    [Theory]
    [InlineData("key.pem", "PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE)")]
    [InlineData("garbled.pem", "PEM_read_bio_X509_AUX() failed (SSL: error:04800064:PEM routines::bad base64 decode)")]
    [InlineData("truncated.pem", "PEM_read_bio_X509_AUX() failed (SSL: error:04800066:PEM routines::bad end line)")]
    public void Unreadable_certificate_is_reported_like_openssl(string file, string reason) =>
        Assert.Equal($"cannot load certificate \"{_files.Path(file)}\": {reason}", Server("", certificate: _files.Path(file)).FirstError());

    [Fact]
    public void Key_of_another_certificate_is_a_mismatch() =>
        Assert.Equal(
            $"SSL_CTX_use_PrivateKey(\"{_files.Path("other.key")}\") failed (SSL: error:05800074:x509 certificate routines::key values mismatch)",
            Server("", key: _files.Path("other.key")).FirstError());

    [Fact]
    public void Certificate_as_key_is_not_decodable() =>
        Assert.Equal(
            $"cannot load certificate key \"{Cert}\": PEM_read_bio_PrivateKey() failed (SSL: error:1E08010C:DECODER routines::unsupported:No supported data to decode. Input type: PEM)",
            Server("", key: Cert).FirstError());

    [Fact]
    public void A_key_of_another_type_than_the_certificate_is_not_checked_against_it() =>
        Server("", certificate: _files.Path("ec.pem"), key: Key).AssertValid();

    [Fact]
    public void Encrypted_key_needs_a_password_that_decrypts_it()
    {
        var encrypted = _files.Path("enc.key");
        Server($"ssl_password_file {_files.Path("pw.txt")};", key: encrypted).AssertValid();
        Assert.StartsWith($"cannot load certificate key \"{encrypted}\": PEM_read_bio_PrivateKey() failed (SSL: error:0480006D:", Server("", key: encrypted).FirstError());
    }

    [Fact]
    public void Missing_password_file_is_an_open_error_at_the_directive()
    {
        var missing = _files.Path("missing.txt");
        Assert.Equal($"open() \"{missing}\" failed (2: No such file or directory) in F:3", Server($"ssl_password_file {missing};").FirstError());
    }

    [Fact]
    public void Certificates_with_variables_are_not_loaded_but_their_variables_must_exist()
    {
        Server("", certificate: "/certs/$ssl_server_name.pem", key: "/certs/$ssl_server_name.key").AssertValid();
        Assert.Equal("unknown \"nope\" variable", Server("", certificate: "/certs/$nope.pem", key: "/k").FirstError());
    }

    [Theory]
    [InlineData("ssl_ciphers FOO;", "SSL_CTX_set_cipher_list(\"FOO\") failed (SSL: error:0A0000B9:SSL routines::no cipher match)")]
    [InlineData("ssl_ciphers !HIGH;", "SSL_CTX_set_cipher_list(\"!HIGH\") failed (SSL: error:0A0000B9:SSL routines::no cipher match)")]
    [InlineData("ssl_ecdh_curve foo;", "SSL_CTX_set1_curves_list(\"foo\") failed (SSL: error:0A080106:SSL routines::passed invalid argument:group 'foo' cannot be set)")]
    [InlineData("ssl_ecdh_curve X25519:X25519;", "SSL_CTX_set1_curves_list(\"X25519:X25519\") failed")]
    [InlineData("ssl_verify_client on;", "no ssl_client_certificate for ssl_verify_client")]
    [InlineData("ssl_ocsp on; ssl_verify_client optional_no_ca;", "\"ssl_ocsp\" is incompatible with \"ssl_verify_client optional_no_ca\"")]
    [InlineData("ssl_ocsp on; ssl_ocsp_responder ftp://x;", "invalid URL prefix in OCSP responder \"ftp://x\" in \"ssl_ocsp_responder\"")]
    [InlineData("ssl_conf_command Foo bar;", "SSL_CONF_cmd(\"Foo\", \"bar\") failed (SSL: error:0A000182:SSL routines::unknown cmd name:cmd=Foo)")]
    public void Context_errors_have_no_location(string directives, string message) =>
        Assert.Equal(message, Server(directives).FirstError());

    [Theory]
    [InlineData("ssl_protocols TLSv1.2 TLSv1.4;", "invalid value \"TLSv1.4\"")]
    [InlineData("ssl_session_cache shared:SSL;", "invalid session cache \"shared:SSL\"")]
    [InlineData("ssl_session_cache shared::1m;", "invalid session cache \"shared::1m\"")]
    [InlineData("ssl_session_cache builtin:lots;", "invalid session cache \"builtin:lots\"")]
    [InlineData("ssl_session_cache shared:X:1k;", "session cache \"shared:X:1k\" is too small")]
    [InlineData("ssl_session_cache shared:X:1m; ssl_ocsp_cache shared:X:1m;", "the shared memory zone \"X\" is already declared for a different use")]
    [InlineData("ssl_ocsp_cache shared:OC:1k;", "OCSP cache \"shared:OC:1k\" is too small")]
    [InlineData("ssl_ocsp_cache foo;", "invalid OCSP cache \"foo\"")]
    [InlineData("ssl_ocsp_cache off; ssl_ocsp_cache off;", "\"ssl_ocsp_cache\" directive is duplicate")]
    [InlineData("ssl_verify_client maybe;", "invalid value \"maybe\"")]
    [InlineData("ssl_ocsp maybe;", "invalid value \"maybe\"")]
    public void Directive_errors_name_the_directive_line(string directives, string message) =>
        Assert.Equal(message + " in F:3", Server(directives).FirstError());

    [Fact]
    public void Ticket_key_errors_name_the_end_of_http()
    {
        Server($"ssl_session_ticket_key {_files.Path("ticket48.key")};").AssertValid();
        Assert.Equal($"\"{_files.Path("ticket10.key")}\" must be 48 or 80 bytes in F:4", Server($"ssl_session_ticket_key {_files.Path("ticket10.key")};").FirstError());
    }

    [Fact]
    public void Duplicate_protocol_warns() =>
        Assert.Equal(["duplicate value \"TLSv1.2\" in F:3"], Server("ssl_protocols TLSv1.2 TLSv1.2;").Warnings());

    [Fact]
    public void Stapling_without_issuer_warns()
    {
        Assert.Equal(
            [$"\"ssl_stapling\" ignored, issuer certificate not found for certificate \"{Cert}\""],
            Server("ssl_stapling on;").Warnings());
    }

    [Fact]
    public void Stapling_with_trusted_issuer_reads_the_ocsp_url_of_the_certificate()
    {
        Assert.Equal(
            [$"\"ssl_stapling\" ignored, no OCSP responder URL in the certificate \"{Cert}\""],
            Server($"ssl_stapling on; ssl_trusted_certificate {Cert};").Warnings());

        var withUrl = _files.Path("ocsp-ip.pem");
        Assert.Empty(Server($"ssl_stapling on; ssl_trusted_certificate {withUrl};", certificate: withUrl).Warnings());

        var unresolvable = _files.Path("ocsp-name.pem");
        Assert.Equal(
            [$"\"ssl_stapling\" ignored, host not found in OCSP responder \"ocsp.example.com/\" in the certificate \"{unresolvable}\""],
            Server($"ssl_stapling on; ssl_trusted_certificate {unresolvable};", certificate: unresolvable).Warnings());

        var ftp = _files.Path("ocsp-ftp.pem");
        Assert.Equal(
            [$"\"ssl_stapling\" ignored, invalid URL prefix in OCSP responder \"ftp://ocsp.example.com/\" in the certificate \"{ftp}\""],
            Server($"ssl_stapling on; ssl_trusted_certificate {ftp};", certificate: ftp).Warnings());
    }

    [Fact]
    public void Stapling_checks_the_most_recently_loaded_certificate_first()
    {
        var ec = _files.Path("ec.pem");
        var result = Server($"ssl_certificate {ec}; ssl_certificate_key {_files.Path("ec.key")}; ssl_stapling on;");
        Assert.Equal(
            [
                $"\"ssl_stapling\" ignored, issuer certificate not found for certificate \"{ec}\"",
                $"\"ssl_stapling\" ignored, issuer certificate not found for certificate \"{Cert}\"",
            ],
            result.Warnings());
    }

    [Fact]
    public void Missing_ca_files_are_reported_like_openssl()
    {
        var missing = _files.Path("missing.pem");
        var fopen = $"error:80000002:system library::No such file or directory:calling fopen({missing}, r) error:10000080:BIO routines::no such file error:05880002:x509 certificate routines::system lib";
        Assert.Equal($"SSL_CTX_load_verify_locations(\"{missing}\") failed (SSL: {fopen})", Server($"ssl_trusted_certificate {missing};").FirstError());
        Assert.Equal($"X509_LOOKUP_load_file(\"{missing}\") failed (SSL: {fopen})", Server($"ssl_crl {missing};").FirstError());
        Assert.Equal(
            $"SSL_CTX_load_verify_locations(\"{Key}\") failed (SSL: error:05800088:x509 certificate routines::no certificate or crl found)",
            Server($"ssl_client_certificate {Key}; ssl_verify_client optional;").FirstError());
    }

    [Fact]
    public void Dh_parameters_must_be_pem_dh_parameters() =>
        Assert.Equal(
            $"PEM_read_bio_DHparams(\"{Cert}\") failed (SSL: error:0480006C:PEM routines::no start line:Expecting: DH PARAMETERS)",
            Server($"ssl_dhparam {Cert};").FirstError());

    [Fact]
    public void A_server_without_certificate_is_not_checked() =>
        ConfigTestHelper.LoadHttp("server { listen 8080; ssl_ciphers FOO; }").AssertValid();

    [Fact]
    public void Settings_are_stored_typed()
    {
        var server = CompiledConfig.Http($"ssl_protocols TLSv1.2 TLSv1.3; server {{ listen 8443 ssl; ssl_certificate {Cert}; ssl_certificate_key {Key}; ssl_session_cache builtin:1000 shared:SSL:1m; ssl_verify_client optional_no_ca; }}").Servers[0];
        Assert.Equal((int)(SslProtocols.TlsV12 | SslProtocols.TlsV13), server.Scope.Get(SslSettings.Protocols));
        Assert.Equal(new SslBuiltinSessionCache(SslSessionCacheMode.Builtin, 1000), server.Scope.Get(SslSettings.BuiltinSessionCache));
        Assert.Equal(1024 * 1024, server.Scope.Get(SslSettings.SessionCacheZone)!.Size);
        Assert.Equal(SslVerifyClient.OptionalNoCa, server.Scope.Get(SslSettings.VerifyClient));
        Assert.Equal([Cert], server.Scope.GetList(SslSettings.Certificates));
    }
}
