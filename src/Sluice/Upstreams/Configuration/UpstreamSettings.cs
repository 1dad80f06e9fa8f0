using Sluice.Configuration.Directives;

namespace Sluice.Upstreams.Configuration;

/// <summary>Settings made inside an <c>upstream { }</c> block (nginx's upstream keepalive module).</summary>
public static class UpstreamSettings
{
    public static readonly Setting<TimeSpan> KeepaliveTime = new("keepalive_time", TimeSpan.FromHours(1));
    public static readonly Setting<TimeSpan> KeepaliveTimeout = new("keepalive_timeout", TimeSpan.FromSeconds(60));
    public static readonly Setting<long> KeepaliveRequests = new("keepalive_requests", 1000);
}
