using Sluice.Configuration.Directives;

namespace Sluice.Metrics;

/// <summary>
/// <c>sluice_metrics;</c> — a Sluice directive in the style of <c>stub_status</c>: the location answers with
/// Prometheus metrics (per upstream peer, per server block, and the stub_status counters).
/// </summary>
internal static class MetricsDirectives
{
    public static void Register(DirectiveTable table) =>
        table.Add(new DirectiveSpec(
            "sluice_metrics",
            DirectiveContext.ServerLocation,
            DirectiveArity.NoArgs,
            Enable,
            DirectiveSupport.Implemented) { Module = "sluice_metrics" });

    private static void Enable(DirectiveCall call)
    {
        call.Scope.Replace(MetricsSettings.Enabled, true, call.Location);
        call.Compiler.State<MetricsConfState>().Used = true;
    }
}

/// <summary>Settings of the metrics endpoint.</summary>
public static class MetricsSettings
{
    /// <summary>The block answers with the metrics (a content handler: not inherited, read with <c>TryGetHere</c>).</summary>
    public static readonly Setting<bool> Enabled = new("sluice_metrics", false);
}

/// <summary>Whether any block serves metrics: only then does the request path count for them.</summary>
internal sealed class MetricsConfState
{
    public bool Used { get; set; }
}
