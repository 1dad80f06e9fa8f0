using Sluice.Configuration;

namespace Sluice.Ssl;

/// <summary>
/// The OpenSSL 3.0 error-queue entries nginx appends to its TLS messages (<c>ngx_ssl_error</c>: "… failed (SSL:
/// error:… error:…)"), for the failures a configuration can cause, so Sluice's messages read like nginx's.
/// </summary>
internal static class OpenSslErrors
{
    public const string BadEndLine = "error:04800066:PEM routines::bad end line";
    public const string BadBase64 = "error:04800064:PEM routines::bad base64 decode";
    public const string PemLibInX509 = "error:05880009:x509 certificate routines::PEM lib";
    public const string X509SystemLib = "error:05880002:x509 certificate routines::system lib";
    public const string NoCertificateOrCrl = "error:05800088:x509 certificate routines::no certificate or crl found";
    public const string KeyDecoderUnsupported = "error:1E08010C:DECODER routines::unsupported:No supported data to decode. Input type: PEM";
    public const string KeyValuesMismatch = "error:05800074:x509 certificate routines::key values mismatch";
    public const string NoCipherMatch = "error:0A0000B9:SSL routines::no cipher match";
    public const string OcspResponseWrongTag = "error:068000A8:asn1 encoding routines::wrong tag error:0688010A:asn1 encoding routines::nested asn1 error:Type=OCSP_RESPONSE";
    public const string AsnHeaderTooLong = "error:0680007B:asn1 encoding routines::header too long";

    /// <summary>What OpenSSL leaves when a pass phrase does not decrypt a PKCS#8 key.</summary>
    public const string WrongPassword =
        "error:1C800064:Provider routines::bad decrypt error:11800074:PKCS12 routines::pkcs12 cipherfinal error:maybe wrong password "
        + "error:1C800064:Provider routines::bad decrypt error:11800074:PKCS12 routines::pkcs12 cipherfinal error:maybe wrong password";

    /// <summary>What OpenSSL leaves when an encrypted key is read without <c>ssl_password_file</c> (nginx then asks on the terminal).</summary>
    public const string NoPassword = "error:0480006D:PEM routines::problems getting password error:04800068:PEM routines::bad password read";

    public static string NoStartLine(string expecting) => $"error:0480006C:PEM routines::no start line:Expecting: {expecting}";

    /// <summary><c>BIO_new_file</c> failing in <c>fopen</c>: the system error, then BIO's reason.</summary>
    public static string Fopen(string path, string mode, int errno, string text) =>
        $"error:{0x80000000u | (uint)errno:X8}:system library::{text}:calling fopen({path}, {mode}) "
        + (errno == 2 ? "error:10000080:BIO routines::no such file" : "error:10080002:BIO routines::system lib");

    public static string GroupCannotBeSet(string group) => $"error:0A080106:SSL routines::passed invalid argument:group '{group}' cannot be set";

    public static string UnknownConfCommand(string name) => $"error:0A000182:SSL routines::unknown cmd name:cmd={name}";

    /// <summary>An emerg without location (nginx logs TLS context errors outside the parser) worded by <see cref="Message"/>.</summary>
    public static ConfigException Failure(string what, params string[] queue) =>
        new(Message(what, queue), (Configuration.Syntax.SourceLocation?)null);

    /// <summary><c>what</c> followed by the queue as nginx prints it; no parentheses when the queue is empty.</summary>
    public static string Message(string what, params string[] queue) =>
        queue.Length == 0 ? what : $"{what} (SSL: {string.Join(' ', queue)})";
}
