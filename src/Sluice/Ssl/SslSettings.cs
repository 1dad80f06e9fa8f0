using Sluice.Configuration.Directives;
using Sluice.Core;

namespace Sluice.Ssl;

/// <summary>Settings of nginx's <c>ngx_http_ssl_module</c> (server level, inherited from http), with nginx's defaults.</summary>
public static class SslSettings
{
    /// <summary>The deprecated <c>ssl on</c>; where it was set is part of its error messages.</summary>
    public static readonly Setting<bool?> Enable = new("ssl", null);

    /// <summary>Certificate files as written (relative to the configuration directory), or <c>data:</c> PEM, or with variables.</summary>
    public static readonly ListSetting<string> Certificates = new("ssl_certificate");

    /// <summary>Key files, one per certificate, in the same order.</summary>
    public static readonly ListSetting<string> CertificateKeys = new("ssl_certificate_key");

    /// <summary>Pass phrases read from <c>ssl_password_file</c> when the directive was read.</summary>
    public static readonly Setting<IReadOnlyList<string>?> Passwords = new("ssl_password_file", null);

    public static readonly Setting<string?> DhParam = new("ssl_dhparam", null);

    public static readonly Setting<string?> EcdhCurve = new("ssl_ecdh_curve", null);

    public const string DefaultEcdhCurve = "auto";

    /// <summary>Bits of <see cref="SslProtocols"/>; 0 means not configured (then TLSv1, TLSv1.1 and TLSv1.2).</summary>
    public static readonly Setting<int> Protocols = new("ssl_protocols", 0);

    public static readonly Setting<string?> Ciphers = new("ssl_ciphers", null);

    public const string DefaultCiphers = "HIGH:!aNULL:!MD5";

    public static readonly Setting<long> BufferSize = new("ssl_buffer_size", 16 * 1024);

    public static readonly Setting<SslVerifyClient> VerifyClient = new("ssl_verify_client", SslVerifyClient.Off);

    public static readonly Setting<long> VerifyDepth = new("ssl_verify_depth", 1);

    public static readonly Setting<string?> ClientCertificate = new("ssl_client_certificate", null);

    public static readonly Setting<string?> TrustedCertificate = new("ssl_trusted_certificate", null);

    public static readonly Setting<bool> PreferServerCiphers = new("ssl_prefer_server_ciphers", false);

    /// <summary>The OpenSSL-internal session cache; null means not configured (nginx's "none").</summary>
    public static readonly Setting<SslBuiltinSessionCache?> BuiltinSessionCache = new("ssl_session_cache builtin", null);

    /// <summary>The shared session cache zone (<c>shared:name:size</c>).</summary>
    public static readonly Setting<SharedZone?> SessionCacheZone = new("ssl_session_cache shared", null);

    public static readonly Setting<bool> SessionTickets = new("ssl_session_tickets", true);

    /// <summary>Ticket key files as written; the first encrypts, all decrypt.</summary>
    public static readonly ListSetting<string> SessionTicketKeys = new("ssl_session_ticket_key");

    public static readonly Setting<TimeSpan> SessionTimeout = new("ssl_session_timeout", TimeSpan.FromMinutes(5));

    public static readonly Setting<string?> Crl = new("ssl_crl", null);

    public static readonly Setting<SslOcsp> Ocsp = new("ssl_ocsp", SslOcsp.Off);

    public static readonly Setting<string?> OcspResponder = new("ssl_ocsp_responder", null);

    /// <summary><c>ssl_ocsp_cache</c>: null when unset or <c>off</c>.</summary>
    public static readonly Setting<SharedZone?> OcspCache = new("ssl_ocsp_cache", null);

    public static readonly Setting<bool> Stapling = new("ssl_stapling", false);

    public static readonly Setting<string?> StaplingFile = new("ssl_stapling_file", null);

    public static readonly Setting<string?> StaplingResponder = new("ssl_stapling_responder", null);

    public static readonly Setting<bool> StaplingVerify = new("ssl_stapling_verify", false);

    public static readonly Setting<bool> EarlyData = new("ssl_early_data", false);

    /// <summary>OpenSSL <c>SSL_CONF_cmd</c> name/value pairs, applied in order.</summary>
    public static readonly ListSetting<KeyValuePair<string, string>> ConfCommands = new("ssl_conf_command");

    public static readonly Setting<bool> RejectHandshake = new("ssl_reject_handshake", false);
}

/// <summary>The protocol bits of <c>ssl_protocols</c>.</summary>
[Flags]
public enum SslProtocols
{
    None = 0,
    SslV2 = 1 << 0,
    SslV3 = 1 << 1,
    TlsV1 = 1 << 2,
    TlsV11 = 1 << 3,
    TlsV12 = 1 << 4,
    TlsV13 = 1 << 5,
}

/// <summary><c>ssl_verify_client</c>.</summary>
public enum SslVerifyClient
{
    Off,
    On,
    Optional,

    /// <summary>Ask for a certificate without requiring it to be signed by a trusted CA.</summary>
    OptionalNoCa,
}

/// <summary><c>ssl_ocsp</c>: check client certificates with OCSP, the whole chain or only the leaf.</summary>
public enum SslOcsp
{
    Off,
    On,
    Leaf,
}

/// <summary>The modes of OpenSSL's own session cache in <c>ssl_session_cache</c>.</summary>
public enum SslSessionCacheMode
{
    /// <summary><c>off</c>: tell clients sessions are not reused.</summary>
    Off,

    /// <summary><c>none</c>: pretend to reuse sessions but store none.</summary>
    None,

    /// <summary><c>builtin[:size]</c>.</summary>
    Builtin,

    /// <summary>Only a shared cache was given.</summary>
    SharedOnly,
}

/// <summary>OpenSSL's session cache mode and, for <c>builtin:N</c>, its size in sessions.</summary>
public sealed record SslBuiltinSessionCache(SslSessionCacheMode Mode, long? Size);
