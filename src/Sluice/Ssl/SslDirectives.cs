using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using Sluice.Core;
using Sluice.Http.Configuration;
using static Sluice.Configuration.Directives.DirectiveArity;
using S = Sluice.Ssl.SslSettings;

namespace Sluice.Ssl;

/// <summary>
/// The directives of nginx's <c>ngx_http_ssl_module</c>. What nginx checks while reading is checked here; what
/// it checks when it builds each server's TLS context (files load, keys match, cipher and curve lists are
/// understood, stapling can work) is <see cref="SslServerValidator"/>, run when the http block closes; the
/// "listen … ssl without a certificate" check is <see cref="SslListenValidator"/>. Also registers the
/// <c>http2_*</c> directives (<see cref="Http2.Http2Directives"/>), HTTP/2 being negotiated by TLS.
/// </summary>
internal static class SslDirectives
{
    private const DirectiveContext HttpServer = DirectiveContext.HttpServer;
    private const DirectiveSupport Later = DirectiveSupport.NotImplemented;

    /// <summary>nginx refuses a shared cache smaller than 8 pages.</summary>
    private const long MinSharedCacheSize = 8 * 4096;

    public static void Register(DirectiveTable t)
    {
        t.OnCompile(compiler =>
        {
            var state = compiler.State<HttpConfState>();
            state.AfterHttp(HttpOrder.Ssl, () => SslServerValidator.ValidateAll(compiler, state));
            state.AfterHttp(HttpOrder.PostConfiguration + HttpOrder.Ssl, () => SslListenValidator.Validate(state));
        });

        void Add(string name, DirectiveArity arity, DirectiveHandler handler) =>
            t.Add(new DirectiveSpec(name, HttpServer, arity, handler, Later) { Module = "http_ssl" });

        Add("ssl", DirectiveArity.Flag, Enable);
        Add("ssl_certificate", Take1, Slots.StrArray(S.Certificates));
        Add("ssl_certificate_key", Take1, Slots.StrArray(S.CertificateKeys));
        Add("ssl_password_file", Take1, PasswordFile);
        Add("ssl_dhparam", Take1, Slots.Str(S.DhParam));
        Add("ssl_ecdh_curve", Take1, Slots.Str(S.EcdhCurve));
        Add("ssl_protocols", OneOrMore, Slots.Bitmask(S.Protocols, ProtocolNames));
        Add("ssl_ciphers", Take1, Slots.Str(S.Ciphers));
        Add("ssl_buffer_size", Take1, Slots.Size(S.BufferSize));
        Add("ssl_verify_client", Take1, Slots.Enum(S.VerifyClient, VerifyClientNames));
        Add("ssl_verify_depth", Take1, Slots.Number(S.VerifyDepth));
        Add("ssl_client_certificate", Take1, Slots.Str(S.ClientCertificate));
        Add("ssl_trusted_certificate", Take1, Slots.Str(S.TrustedCertificate));
        Add("ssl_prefer_server_ciphers", DirectiveArity.Flag, Slots.Flag(S.PreferServerCiphers));
        Add("ssl_session_cache", Take12, SessionCache);
        Add("ssl_session_tickets", DirectiveArity.Flag, Slots.Flag(S.SessionTickets));
        Add("ssl_session_ticket_key", Take1, Slots.StrArray(S.SessionTicketKeys));
        Add("ssl_session_timeout", Take1, Slots.Sec(S.SessionTimeout));
        Add("ssl_crl", Take1, Slots.Str(S.Crl));
        Add("ssl_ocsp", DirectiveArity.Flag, Slots.Enum(S.Ocsp, OcspNames));
        Add("ssl_ocsp_responder", Take1, Slots.Str(S.OcspResponder));
        Add("ssl_ocsp_cache", Take1, OcspCache);
        Add("ssl_stapling", DirectiveArity.Flag, Slots.Flag(S.Stapling));
        Add("ssl_stapling_file", Take1, Slots.Str(S.StaplingFile));
        Add("ssl_stapling_responder", Take1, Slots.Str(S.StaplingResponder));
        Add("ssl_stapling_verify", DirectiveArity.Flag, Slots.Flag(S.StaplingVerify));
        Add("ssl_early_data", DirectiveArity.Flag, Slots.Flag(S.EarlyData));
        Add("ssl_conf_command", Take2, Slots.KeyValue(S.ConfCommands));
        Add("ssl_reject_handshake", DirectiveArity.Flag, Slots.Flag(S.RejectHandshake));

        Http2.Http2Directives.Register(t);
    }

    private static readonly Dictionary<string, int> ProtocolNames = new(StringComparer.Ordinal)
    {
        ["SSLv2"] = (int)SslProtocols.SslV2,
        ["SSLv3"] = (int)SslProtocols.SslV3,
        ["TLSv1"] = (int)SslProtocols.TlsV1,
        ["TLSv1.1"] = (int)SslProtocols.TlsV11,
        ["TLSv1.2"] = (int)SslProtocols.TlsV12,
        ["TLSv1.3"] = (int)SslProtocols.TlsV13,
    };

    private static readonly Dictionary<string, SslVerifyClient> VerifyClientNames = new(StringComparer.Ordinal)
    {
        ["off"] = SslVerifyClient.Off,
        ["on"] = SslVerifyClient.On,
        ["optional"] = SslVerifyClient.Optional,
        ["optional_no_ca"] = SslVerifyClient.OptionalNoCa,
    };

    private static readonly Dictionary<string, SslOcsp> OcspNames = new(StringComparer.Ordinal)
    {
        ["off"] = SslOcsp.Off,
        ["on"] = SslOcsp.On,
        ["leaf"] = SslOcsp.Leaf,
    };

    private static void Enable(DirectiveCall call)
    {
        call.EnsureNotSet(S.Enable);
        call.Set<bool?>(S.Enable, call.ParseFlag(call.Args[0]));
        call.Warn("the \"ssl\" directive is deprecated, use the \"listen ... ssl\" directive instead");
    }

    /// <summary>nginx reads the pass phrases while it reads the directive (<c>ngx_ssl_read_password_file</c>).</summary>
    private static void PasswordFile(DirectiveCall call)
    {
        call.EnsureNotSet(S.Passwords);
        var path = call.Compiler.Environment.FullConfPath(call.Args[0]);
        if (Directory.Exists(path))
        {
            throw call.Error($"read() \"{path}\" failed (21: Is a directory)");
        }

        var file = SslFiles.Read(path);
        if (!file.Ok)
        {
            throw call.Error($"open() \"{path}\" failed ({file.Errno}: {file.ErrorText})");
        }

        call.Set<IReadOnlyList<string>?>(S.Passwords, PasswordLines(call, path, file.Bytes!));
    }

    /// <summary>One pass phrase per line (CR LF or LF), blank lines skipped; a file with none means one empty phrase.</summary>
    private static List<string> PasswordLines(DirectiveCall call, string path, byte[] content)
    {
        const int bufferSize = 4096;
        var passwords = new List<string>();
        foreach (var raw in System.Text.Encoding.Latin1.GetString(content).Split('\n'))
        {
            if (raw.Length >= bufferSize)
            {
                throw call.Error($"too long line in \"{path}\"");
            }

            var line = raw.EndsWith('\r') ? raw[..^1] : raw;
            if (line.Length > 0)
            {
                passwords.Add(line);
            }
        }

        if (passwords.Count == 0)
        {
            passwords.Add("");
        }

        return passwords;
    }

    /// <summary><c>ssl_session_cache</c>: words combine and a later directive changes what an earlier one set (nginx has no duplicate check).</summary>
    private static void SessionCache(DirectiveCall call)
    {
        call.Scope.TryGetHere(S.BuiltinSessionCache, out var builtin);
        call.Scope.TryGetHere(S.SessionCacheZone, out var zone);
        foreach (var word in call.Args)
        {
            switch (word)
            {
                case "off":
                    builtin = new SslBuiltinSessionCache(SslSessionCacheMode.Off, null);
                    continue;
                case "none":
                    builtin = new SslBuiltinSessionCache(SslSessionCacheMode.None, null);
                    continue;
                case "builtin":
                    builtin = new SslBuiltinSessionCache(SslSessionCacheMode.Builtin, null);
                    continue;
            }

            if (word.Length > "builtin:".Length && word.StartsWith("builtin:", StringComparison.Ordinal))
            {
                builtin = NginxValues.TryParseNumber(word.AsSpan("builtin:".Length), out var sessions)
                    ? new SslBuiltinSessionCache(SslSessionCacheMode.Builtin, sessions)
                    : throw call.Error($"invalid session cache \"{word}\"");
                continue;
            }

            zone = SharedCacheZone(call, word, "ssl_session_cache", "session cache") ?? throw call.Error($"invalid session cache \"{word}\"");
        }

        if (zone is not null && builtin is null)
        {
            builtin = new SslBuiltinSessionCache(SslSessionCacheMode.SharedOnly, null);
        }

        call.Scope.Replace(S.BuiltinSessionCache, builtin, call.Location);
        call.Scope.Replace(S.SessionCacheZone, zone, call.Location);
    }

    private static void OcspCache(DirectiveCall call)
    {
        call.EnsureNotSet(S.OcspCache);
        var word = call.Args[0];
        var zone = word == "off"
            ? null
            : SharedCacheZone(call, word, "ssl_ocsp_cache", "OCSP cache") ?? throw call.Error($"invalid OCSP cache \"{word}\"");
        call.Set(S.OcspCache, zone);
    }

    /// <summary><c>shared:name:size</c> as a shared zone; null when the word is not of that form.</summary>
    private static SharedZone? SharedCacheZone(DirectiveCall call, string word, string kind, string what)
    {
        if (word.Length <= "shared:".Length || !word.StartsWith("shared:", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = word["shared:".Length..];
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? rest : rest[..colon];
        if (name.Length == 0 || colon < 0 || !NginxValues.TryParseSize(rest.AsSpan(colon + 1), out var size))
        {
            return null;
        }

        if (size < MinSharedCacheSize)
        {
            throw call.Error($"{what} \"{word}\" is too small");
        }

        return call.Compiler.State<SharedZoneRegistry>().Add(name, size, kind, call.Location);
    }
}
