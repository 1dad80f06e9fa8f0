namespace Sluice.Http.Runtime;

/// <summary>The runtime builders of the http features, in nginx's module order (which decides handler order within a phase).</summary>
public static class HttpFeatures
{
    public static IReadOnlyList<IHttpFeature> All { get; } =
    [
        new RegexCapturesFeature(),
        new Access.AccessFeature(),
        new Rewrite.RewriteFeature(),
        new Proxy.Runtime.ProxyFeature(),
        new StubStatus.StubStatusFeature(),
        new Metrics.MetricsFeature(),
        new Headers.HeadersFeature(),
        new Logging.AccessLogFeature(),
    ];
}
