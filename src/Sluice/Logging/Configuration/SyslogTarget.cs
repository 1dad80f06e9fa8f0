using System.Net;
using Sluice.Configuration;
using Sluice.Configuration.Syntax;
using Sluice.Configuration.Values;

namespace Sluice.Logging.Configuration;

/// <summary>
/// A <c>syslog:server=…[,facility=…][,severity=…][,tag=…][,nohostname]</c> log destination, with nginx's defaults
/// (facility local7, severity info, tag "nginx").
/// </summary>
public sealed record SyslogTarget(EndPoint Server, int Facility, int Severity, string Tag, bool NoHostname)
{
    public const string Prefix = "syslog:";

    private static readonly string[] Facilities =
    [
        "kern", "user", "mail", "daemon", "auth", "intern", "lpr", "news", "uucp", "clock", "authpriv", "ftp", "ntp",
        "audit", "alert", "cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];

    // nginx.conf's level names, not syslog's "err"/"warning".
    private static readonly string[] Severities = ["emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"];

    /// <summary>nginx's <c>ngx_syslog_process_conf</c> on a target that starts with <see cref="Prefix"/>.</summary>
    public static SyslogTarget Parse(string target, IHostResolver resolver, SourceLocation location)
    {
        EndPoint? server = null;
        int? facility = null;
        int? severity = null;
        string? tag = null;
        var noHostname = false;

        foreach (var parameter in target[Prefix.Length..].Split(','))
        {
            if (parameter.StartsWith("server=", StringComparison.Ordinal))
            {
                if (server is not null)
                {
                    throw new ConfigException("duplicate syslog \"server\"", location);
                }

                var url = NginxUrl.Parse(parameter[7..], new UrlParseOptions { DefaultPort = 514 }, resolver);
                if (!url.Ok)
                {
                    throw new ConfigException($"{url.Error} in syslog server \"{url.Url}\"", location);
                }

                server = url.Addresses[0];
            }
            else if (parameter.StartsWith("facility=", StringComparison.Ordinal))
            {
                facility = Lookup(Facilities, parameter[9..], facility, "facility", location);
            }
            else if (parameter.StartsWith("severity=", StringComparison.Ordinal))
            {
                severity = Lookup(Severities, parameter[9..], severity, "severity", location);
            }
            else if (parameter.StartsWith("tag=", StringComparison.Ordinal))
            {
                tag = ParseTag(parameter[4..], tag, location);
            }
            else if (parameter == "nohostname")
            {
                noHostname = true;
            }
            else
            {
                throw new ConfigException($"unknown syslog parameter \"{parameter}\"", location);
            }
        }

        if (server is null)
        {
            throw new ConfigException("no syslog server specified", location);
        }

        return new SyslogTarget(server, facility ?? 23, severity ?? 6, tag ?? "nginx", noHostname);
    }

    private static int Lookup(string[] names, string value, int? previous, string what, SourceLocation location)
    {
        if (previous is not null)
        {
            throw new ConfigException($"duplicate syslog \"{what}\"", location);
        }

        var index = Array.IndexOf(names, value);
        return index >= 0 ? index : throw new ConfigException($"unknown syslog {what} \"{value}\"", location);
    }

    /// <summary>RFC 3164: at most 32 alphanumeric characters (nginx also allows '_').</summary>
    private static string ParseTag(string value, string? previous, SourceLocation location)
    {
        if (previous is not null)
        {
            throw new ConfigException("duplicate syslog \"tag\"", location);
        }

        if (value.Length > 32)
        {
            throw new ConfigException("syslog tag length exceeds 32", location);
        }

        if (!value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ConfigException("syslog \"tag\" only allows alphanumeric characters and underscore", location);
        }

        return value;
    }
}
