using System.Reflection;
using Sluice.Configuration;

namespace Sluice.Hosting;

/// <summary>Name, version and build facts, printed by <c>-v</c>/<c>-V</c> and in the <c>Server</c> header.</summary>
public static class ProductInfo
{
    public const string Name = "sluice";

    /// <summary>Default paths, relative to the prefix (which defaults to the current directory, as an nginx built without a prefix).</summary>
    public const string DefaultConfPath = "conf/sluice.conf";

    public const string DefaultPidPath = "logs/sluice.pid";

    public const string DefaultAccessLogPath = "logs/access.log";

    public static string Version { get; } =
        typeof(ProductInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ProductInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The <c>Server</c> header with server_tokens on: built once, sent with every response.</summary>
    public static string NameAndVersion { get; } = $"{Name}/{Version}";

    /// <summary>The help text of <c>-h</c>, in nginx's layout.</summary>
    public static string Usage =>
        $"""
        Usage: {Name} [-?hvVtTq] [-s signal] [-p prefix]
                     [-e filename] [-c filename] [-g directives]

        Options:
          -?,-h         : this help
          -v            : show version and exit
          -V            : show version and configure options then exit
          -t            : test configuration and exit
          -T            : test configuration, dump it and exit
          -q            : suppress non-error messages during configuration testing
          -s signal     : send signal to a master process: stop, quit, reopen, reload
          -p prefix     : set prefix path (default: NONE, the current directory)
          -e filename   : set error log file (default: stderr)
          -c filename   : set configuration file (default: {DefaultConfPath})
          -g directives : set global directives out of configuration file

          {Name} demo   : run the demo system (three application instances behind {Name})


        """;

    /// <summary>
    /// nginx's <c>-V</c> shape, so tools that probe for modules (<c>--with-http_ssl_module</c>) work: every
    /// nginx module with at least one directive Sluice implements is listed.
    /// </summary>
    public static string ConfigureArguments()
    {
        var modules = SluiceDirectives.Table.All
            .Where(s => s.Support != Configuration.Directives.DirectiveSupport.NotImplemented && s.Module.Length > 0)
            .Select(s => s.Module)
            .Distinct(StringComparer.Ordinal)
            .Where(m => m is not ("core" or "events" or "http_core"))
            .OrderBy(m => m, StringComparer.Ordinal)
            .Select(m => $"--with-{m}_module");
        return $"configure arguments: --prefix=NONE --conf-path={DefaultConfPath} --error-log-path=stderr --pid-path={DefaultPidPath} --http-log-path={DefaultAccessLogPath} {string.Join(' ', modules)}".TrimEnd();
    }

    public static string BuiltWith => $"built with .NET {Environment.Version} ({System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()})";
}
