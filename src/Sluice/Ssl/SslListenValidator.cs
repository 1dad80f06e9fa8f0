using Sluice.Configuration;
using Sluice.Http.Configuration;

namespace Sluice.Ssl;

/// <summary>
/// nginx's <c>ngx_http_ssl_init</c> check: every <c>listen … ssl</c> address needs a certificate in its default
/// server — or, when that server rejects handshakes (<c>ssl_reject_handshake on</c>), in every other server on the
/// address that does not reject them too. The message names the offending <c>server {</c> line but has no location.
/// </summary>
internal static class SslListenValidator
{
    public static void Validate(HttpConfState state)
    {
        foreach (var address in state.Ports.SelectMany(p => p.Addresses).Where(a => a.Options.Ssl))
        {
            var defaultServer = address.DefaultServer;
            if (HasCertificate(defaultServer))
            {
                continue;
            }

            if (!RejectsHandshakes(defaultServer))
            {
                throw Missing(defaultServer);
            }

            foreach (var server in address.Servers.Where(s => !HasCertificate(s) && !RejectsHandshakes(s)))
            {
                throw Missing(server);
            }
        }
    }

    private static bool HasCertificate(ServerBuilder server) => server.Scope.GetList(SslSettings.Certificates).Count > 0;

    private static bool RejectsHandshakes(ServerBuilder server) => server.Scope.Get(SslSettings.RejectHandshake);

    private static ConfigException Missing(ServerBuilder server) =>
        new($"no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive in {server.Location}", (Configuration.Syntax.SourceLocation?)null);
}
