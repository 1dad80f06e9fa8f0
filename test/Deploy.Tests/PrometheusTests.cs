using System.Text.Json;
using Deploy.Tests.Infrastructure;
using StreamApp.Tests.Infrastructure;

namespace Deploy.Tests;

/// <summary>deploy/prometheus/prometheus.yml and alerts.yml, checked by promtool.</summary>
public sealed class PromtoolTests
{
    [Fact]
    public async Task Scrape_config_is_valid()
    {
        var result = await ProcessRunner.RunAsync(Tools.Promtool, ["check", "config", "prometheus.yml"], Repo.Deploy("prometheus"));
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("1 rule files found", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alert_rules_are_valid()
    {
        var result = await ProcessRunner.RunAsync(Tools.Promtool, ["check", "rules", "alerts.yml"], Repo.Deploy("prometheus"));
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("SUCCESS: 7 rules found", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alert_rules_pass_their_unit_tests()
    {
        // alerts_test.yml: each alert fires on the series it is meant for, at the time its "for" allows, with its annotations.
        var result = await ProcessRunner.RunAsync(Tools.Promtool, ["test", "rules", "alerts_test.yml"], Repo.Deploy("prometheus"));
        Assert.True(result.ExitCode == 0, result.Output);
    }
}

/// <summary>
/// deploy/prometheus against the real programs (<see cref="MonitoredSystem"/>): every target up, the rules
/// evaluating, alerts where the stack is in trouble and only there, every dashboard query answering, and the
/// metrics the rules, the dashboard and deploy/README.md name present in Sluice's and the apps' real output.
/// </summary>
public sealed class PrometheusTests(MonitoredSystem stack) : IClassFixture<MonitoredSystem>
{
    private static readonly string[] AlertNames =
    [
        "SluiceUpstreamPeerDown", "AppInstanceDown", "SluiceDown", "SluiceUpstreamHigh5xxRatio",
        "SluiceUpstreamHighLatencyP99", "SluiceConnectionsNearLimit", "SluiceDroppingConnections",
    ];

    private static readonly string[] HistogramSeries = ["_bucket", "_sum", "_count"];

    [Fact]
    public async Task Every_target_of_the_scrape_config_is_up()
    {
        await stack.EventuallyAsync(async () =>
        {
            var targets = (await stack.ApiAsync("/api/v1/targets?state=active")).GetProperty("activeTargets").EnumerateArray().ToList();
            var jobs = targets.Select(t => t.GetProperty("labels").GetProperty("job").GetString()).Order(StringComparer.Ordinal);
            var health = targets.Select(t => $"{t.GetProperty("scrapeUrl").GetString()}={t.GetProperty("health").GetString()} {t.GetProperty("lastError").GetString()}").ToList();
            if (!jobs.SequenceEqual(["prometheus", "sluice", "streamapp", "streamapp", "streamapp"]))
            {
                return $"unexpected targets: {string.Join(", ", health)}";
            }

            return targets.All(t => t.GetProperty("health").GetString() == "up") ? null : $"not all up: {string.Join(", ", health)}";
        });
    }

    [Fact]
    public async Task Alert_rules_load_and_evaluate_without_errors()
    {
        await stack.EventuallyAsync(async () =>
        {
            var rules = (await stack.ApiAsync("/api/v1/rules?type=alert")).GetProperty("groups").EnumerateArray()
                .SelectMany(g => g.GetProperty("rules").EnumerateArray())
                .ToList();
            var names = rules.Select(r => r.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToList();
            if (!names.SequenceEqual(AlertNames.Order(StringComparer.Ordinal)))
            {
                return $"alert rules loaded: [{string.Join(", ", names)}]";
            }

            var notOk = rules.Where(r => r.GetProperty("health").GetString() != "ok")
                .Select(r => $"{r.GetProperty("name").GetString()}: {r.GetProperty("health").GetString()} {(r.TryGetProperty("lastError", out var e) ? e.GetString() : "")}")
                .ToList();
            return notOk.Count == 0 ? null : $"rules not evaluated cleanly: {string.Join("; ", notOk)}";
        });
    }

    [Fact]
    public async Task Alerts_fire_for_the_failed_peer_and_not_for_the_one_marked_down()
    {
        // The failed peer is out of rotation and all its attempts were 5xx (Sluice's 502). The peer marked down
        // is out too, on purpose: no alert. The apps, Sluice and its connections are fine. Pending or firing
        // both mean the expression matched.
        var expected = new[]
        {
            $"SluiceUpstreamHigh5xxRatio peer={stack.FailedPeer}",
            $"SluiceUpstreamPeerDown peer={stack.FailedPeer}",
        };
        await stack.EventuallyAsync(async () =>
        {
            var alerts = (await stack.ApiAsync("/api/v1/alerts")).GetProperty("alerts").EnumerateArray()
                .Select(a =>
                {
                    var labels = a.GetProperty("labels");
                    var name = labels.GetProperty("alertname").GetString();
                    return labels.TryGetProperty("peer", out var peer) ? $"{name} peer={peer.GetString()}" : name!;
                })
                .Order(StringComparer.Ordinal)
                .ToList();
            return alerts.SequenceEqual(expected) ? null : $"active alerts: [{string.Join(", ", alerts)}], expected [{string.Join(", ", expected)}]";
        });

        // The metric the rule tells them apart by, as Sluice reports it.
        var sluice = PrometheusText.Parse(await stack.GetAsync(stack.SluicePort, "/metrics")).Samples;
        Assert.Equal(1, Assert.Single(sluice, s => s.Name == "sluice_upstream_peer_down" && s.Labels["peer"] == stack.DownPeer).Value);
        Assert.Equal(0, Assert.Single(sluice, s => s.Name == "sluice_upstream_peer_down" && s.Labels["peer"] == stack.FailedPeer).Value);
    }

    [Fact]
    public async Task Every_dashboard_query_returns_data()
    {
        var dashboard = await File.ReadAllTextAsync(Repo.Deploy("grafana", "dashboards", "sluice-overview.json"));
        var queries = DashboardTests.Queries(dashboard)
            .Select(q => q.Replace("$__rate_interval", "1m", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(queries);
        Assert.DoesNotContain(queries, q => q.Contains('$', StringComparison.Ordinal));
        foreach (var query in queries)
        {
            await stack.EventuallyAsync(async () =>
            {
                var data = await stack.ApiAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}");
                return data.GetProperty("result").GetArrayLength() > 0 ? null : $"no data for {query}";
            });
        }
    }

    [Fact]
    public async Task Every_metric_the_alerts_and_the_dashboard_query_is_in_the_real_output()
    {
        var used = MetricsReadme.NamesUsedIn(
            await File.ReadAllTextAsync(Repo.Deploy("prometheus", "alerts.yml")) + "\n" +
            string.Join('\n', DashboardTests.Queries(await File.ReadAllTextAsync(Repo.Deploy("grafana", "dashboards", "sluice-overview.json")))));
        Assert.Contains("sluice_upstream_header_seconds", used);
        Assert.Contains("streamapp_sse_streams_open", used);
        var types = await RealTypesAsync();
        Assert.All(used, name => Assert.True(types.ContainsKey(name), $"{name} is queried but neither Sluice nor the apps expose it"));
    }

    [Fact]
    public async Task Real_output_is_the_readme_metrics_contract()
    {
        var sluice = PrometheusText.Parse(await stack.GetAsync(stack.SluicePort, "/metrics"));
        var app = PrometheusText.Parse(await stack.GetAsync(stack.AppPorts[0], "/metrics"));
        foreach (var metric in MetricsReadme.Metrics)
        {
            var (types, samples) = metric.Name.StartsWith("streamapp_", StringComparison.Ordinal) ? app : sluice;
            Assert.True(types.TryGetValue(metric.Name, out var type), $"{metric.Name} (deploy/README.md) is not in the real output");
            Assert.Equal(metric.Type, type);
            var series = samples.Where(s => metric.Type == "histogram" ? HistogramSeries.Any(suffix => s.Name == metric.Name + suffix) : s.Name == metric.Name).ToList();
            Assert.NotEmpty(series);
            foreach (var sample in series)
            {
                var expected = sample.Name.EndsWith("_bucket", StringComparison.Ordinal) ? [.. metric.Labels, "le"] : metric.Labels;
                Assert.True(
                    sample.Labels.Keys.Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal)),
                    $"{sample.Name} has labels [{string.Join(", ", sample.Labels.Keys)}], deploy/README.md says [{string.Join(", ", metric.Labels)}]");
            }

            if (metric.Type == "histogram")
            {
                var bounds = series.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)).Select(s => s.Labels["le"]).Distinct().ToList();
                Assert.Equal(MetricsReadme.LatencyBuckets.Select(Normalize), bounds.Select(Normalize));
            }
        }

        // The peers of the stack are all there, with their state.
        Assert.Equal(
            [.. stack.AppPorts.Select(p => $"127.0.0.1:{p}"), stack.FailedPeer, stack.DownPeer],
            sluice.Samples.Where(s => s.Name == "sluice_upstream_peer_up").Select(s => s.Labels["peer"]));
    }

    /// <summary>Every family Sluice and an application instance expose, by name, with its type.</summary>
    private async Task<Dictionary<string, string>> RealTypesAsync()
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var port in new[] { stack.SluicePort, stack.AppPorts[0] })
        {
            foreach (var (name, type) in PrometheusText.Parse(await stack.GetAsync(port, "/metrics")).Types)
            {
                types[name] = type;
            }
        }

        return types;
    }

    /// <summary>"1" and "1.0" are the same bound.</summary>
    private static string Normalize(string bound) =>
        bound == "+Inf" ? bound : double.Parse(bound, System.Globalization.CultureInfo.InvariantCulture).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The Grafana provisioning files and the dashboard, against the metrics contract.</summary>
public sealed class DashboardTests
{
    /// <summary>Every PromQL expression of a dashboard's panels.</summary>
    public static IEnumerable<string> Queries(string dashboardJson)
    {
        using var document = JsonDocument.Parse(dashboardJson);
        return document.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();
    }

    [Fact]
    public async Task Dashboard_has_the_panels_of_the_brief_on_the_provisioned_data_source()
    {
        var json = await File.ReadAllTextAsync(Repo.Deploy("grafana", "dashboards", "sluice-overview.json"));
        using var document = JsonDocument.Parse(json);
        var panels = document.RootElement.GetProperty("panels").EnumerateArray().ToList();
        Assert.Equal(
            ["Requests/s per peer", "5xx ratio per peer", "Upstream latency p50 / p99", "Client connections", "Peer health", "SSE open streams"],
            panels.Select(p => p.GetProperty("title").GetString()));
        Assert.All(panels, p => Assert.Equal("prometheus", p.GetProperty("datasource").GetProperty("uid").GetString()));
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());

        var datasource = await File.ReadAllTextAsync(Repo.Deploy("grafana", "provisioning", "datasources", "prometheus.yml"));
        Assert.Contains("uid: prometheus", datasource, StringComparison.Ordinal);
        Assert.Contains("url: http://prometheus:9090", datasource, StringComparison.Ordinal);
        var provider = await File.ReadAllTextAsync(Repo.Deploy("grafana", "provisioning", "dashboards", "sluice.yml"));
        Assert.Contains("path: /etc/grafana/dashboards", provider, StringComparison.Ordinal);
        var compose = await File.ReadAllTextAsync(Repo.Deploy("docker-compose.yml"));
        Assert.Contains("./grafana/dashboards:/etc/grafana/dashboards:ro", compose, StringComparison.Ordinal);
        Assert.Contains("./grafana/provisioning:/etc/grafana/provisioning:ro", compose, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alerts_and_dashboard_query_only_metrics_the_readme_documents()
    {
        var alerts = await File.ReadAllTextAsync(Repo.Deploy("prometheus", "alerts.yml"));
        var dashboard = string.Join('\n', Queries(await File.ReadAllTextAsync(Repo.Deploy("grafana", "dashboards", "sluice-overview.json"))));
        var used = MetricsReadme.NamesUsedIn(alerts + "\n" + dashboard);
        Assert.NotEmpty(used);
        var documented = MetricsReadme.Metrics.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        Assert.All(used, name => Assert.True(documented.Contains(name), $"{name} is queried but deploy/README.md's metrics contract does not document it"));
    }
}
