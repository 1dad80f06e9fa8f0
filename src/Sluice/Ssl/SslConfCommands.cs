using System.Collections.Frozen;

namespace Sluice.Ssl;

/// <summary>
/// The <c>SSL_CONF_cmd</c> names OpenSSL 3.0 accepts in a server context from a configuration file
/// (<c>ssl_conf_command</c>), compared without case as OpenSSL does there. Values are left to the TLS runtime.
/// </summary>
internal static class SslConfCommands
{
    private static readonly FrozenSet<string> Names = new[]
    {
        "SignatureAlgorithms", "ClientSignatureAlgorithms", "Curves", "Groups", "ECDHParameters", "CipherString",
        "Ciphersuites", "Protocol", "MinProtocol", "MaxProtocol", "Options", "VerifyMode", "Certificate", "PrivateKey",
        "ServerInfoFile", "ChainCAPath", "ChainCAFile", "ChainCAStore", "VerifyCAPath", "VerifyCAFile", "VerifyCAStore",
        "RequestCAFile", "ClientCAFile", "RequestCAPath", "ClientCAPath", "RecordPadding", "NumTickets",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    public static bool IsKnown(string name) => Names.Contains(name);
}
