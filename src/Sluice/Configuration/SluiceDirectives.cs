using Sluice.Configuration.Directives;

namespace Sluice.Configuration;

/// <summary>The directive table of this build: every feature registers its directives here, in nginx's module order.</summary>
public static class SluiceDirectives
{
    private static readonly Lazy<DirectiveTable> Shared = new(Create);

    /// <summary>The table, built once; it is immutable after the first lookup.</summary>
    public static DirectiveTable Table => Shared.Value;

    public static DirectiveTable Create()
    {
        var table = new DirectiveTable();
        Core.CoreDirectives.Register(table);
        Http.Configuration.HttpCoreDirectives.Register(table);
        Logging.Configuration.LogDirectives.Register(table);
        Upstreams.Configuration.UpstreamDirectives.Register(table);
        Access.AccessDirectives.Register(table);
        LimitReq.LimitReqDirectives.Register(table);
        Geo.GeoDirectives.Register(table);
        Map.MapDirectives.Register(table);
        SplitClients.SplitClientsDirectives.Register(table);
        Rewrite.RewriteDirectives.Register(table);
        Ssl.SslDirectives.Register(table);
        Proxy.Configuration.ProxyDirectives.Register(table);
        StubStatus.StubStatusDirectives.Register(table);
        Metrics.MetricsDirectives.Register(table);
        Gzip.GzipDirectives.Register(table);
        Headers.HeadersDirectives.Register(table);
        return table;
    }
}
