using Sluice.Configuration.Directives;
using Sluice.Configuration.Syntax;
using Sluice.Variables;

namespace Sluice.Http.Configuration;

/// <summary>
/// Everything the http block collects while it is read: its scope, the servers with their listen
/// addresses and locations, the variables used and defined, and the checks to run when the block closes.
/// One per configuration load (<c>compiler.State&lt;HttpConfState&gt;()</c>).
/// </summary>
public sealed class HttpConfState
{
    private readonly List<(int Order, Action Step)> _afterHttp = [];

    /// <summary>The <c>http { }</c> scope; null until the block is read.</summary>
    public ConfScope? Http { get; set; }

    public SourceLocation? BlockEnd { get; set; }

    public List<ServerBuilder> Servers { get; } = [];

    /// <summary>Listen sockets by (family, port), each with the addresses bound on that port, as nginx groups them.</summary>
    public List<ListenPortBuilder> Ports { get; } = [];

    public VariableRegistry Variables { get; } = new();


    /// <summary>
    /// Registers a check or build step to run after the http block is read, in nginx's order: modules'
    /// init/merge steps in module order (<see cref="HttpOrder"/>), then locations, variables, servers.
    /// </summary>
    public void AfterHttp(int order, Action step) => _afterHttp.Add((order, step));

    internal void RunAfterHttp()
    {
        foreach (var (_, step) in _afterHttp.OrderBy(s => s.Order))
        {
            step();
        }
    }
}

/// <summary>
/// The order of after-http steps. nginx runs, per module in its module order, the module's main-conf
/// init and its server/location merge; then builds the location trees, runs postconfiguration hooks,
/// checks variables, and finally optimizes the server lists. Errors surface in that order.
/// </summary>
public static class HttpOrder
{
    public const int Core = 100;
    public const int Log = 110;
    public const int Upstream = 120;
    public const int Index = 130;
    public const int Access = 140;
    public const int LimitConn = 150;
    public const int LimitReq = 160;
    public const int Geo = 170;
    public const int Map = 180;
    public const int SplitClients = 190;
    public const int Rewrite = 200;
    public const int Ssl = 210;
    public const int Proxy = 220;
    public const int UpstreamMethods = 230;
    public const int StubStatus = 240;
    public const int Gzip = 250;
    public const int Headers = 260;

    /// <summary>Location trees: duplicate locations.</summary>
    public const int Locations = 1000;

    /// <summary>Modules' postconfiguration hooks (add 0..999 in module order).</summary>
    public const int PostConfiguration = 2000;

    /// <summary>Every used variable must exist.</summary>
    public const int Variables = 3000;

    /// <summary>Server names per address: conflicts and hashes.</summary>
    public const int Servers = 4000;
}
