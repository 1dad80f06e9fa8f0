using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Deploy.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

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
/// A real Prometheus running a copy of deploy/prometheus/prometheus.yml and the real alerts.yml, its targets
/// rewritten to stand-in servers on 127.0.0.1 that serve the metrics contract (Sluice's /metrics and the
/// apps'), scraping and evaluating every second. Killed on dispose, whatever happened.
/// </summary>
public sealed class PrometheusFixture : IAsyncLifetime, IDisposable
{
    private readonly List<LoopbackServer> _servers = [];
    private readonly StringBuilder _log = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TempDirectory? _dir;
    private Process? _process;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };

    public int Port { get; private set; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        _dir = new TempDirectory("deploy-prometheus");
        var sluice = await Serve(_ => MetricsContract.SluiceExposition(_clock.Elapsed.TotalSeconds));
        var apps = new List<LoopbackServer>();
        for (var i = 1; i <= 3; i++)
        {
            var streams = i * 2;
            apps.Add(await Serve(_ => MetricsContract.AppExposition(streams)));
        }

        Port = FreePort.Next();
        const string file = "deploy/prometheus/prometheus.yml";
        var config = await File.ReadAllTextAsync(Repo.Deploy("prometheus", "prometheus.yml"));
        config = Edit.Replace(config, "scrape_interval: 15s", "scrape_interval: 1s", file);
        config = Edit.Replace(config, "evaluation_interval: 15s", "evaluation_interval: 1s", file);
        config = Edit.Replace(config, "- sluice:80\n", $"- {sluice.Address}\n", file);
        for (var i = 0; i < 3; i++)
        {
            config = Edit.Replace(config, $"- app-{i + 1}:8000\n", $"- {apps[i].Address}\n", file);
        }

        config = Edit.Replace(config, "- localhost:9090\n", $"- 127.0.0.1:{Port}\n", file);
        _dir.Write("prometheus.yml", config);
        File.Copy(Repo.Deploy("prometheus", "alerts.yml"), _dir.Combine("alerts.yml"));

        var start = new ProcessStartInfo(Tools.Prometheus)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dir.Path,
        };
        foreach (var argument in new[]
        {
            $"--config.file={_dir.Combine("prometheus.yml")}",
            $"--storage.tsdb.path={_dir.Combine("data")}",
            $"--web.listen-address=127.0.0.1:{Port}",
            "--log.level=warn",
        })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start prometheus");
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Ready = the configuration loaded and the web API answers.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}:\n{Log}");
            }

            try
            {
                using var ready = await Http.GetAsync(new Uri($"http://127.0.0.1:{Port}/-/ready"));
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"prometheus did not become ready on {Port}:\n{Log}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>GET /api/v1/... and the "data" member of a successful answer.</summary>
    public async Task<JsonElement> ApiAsync(string pathAndQuery)
    {
        using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{Port}{pathAndQuery}"));
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.True(root.GetProperty("status").GetString() == "success", $"{pathAndQuery}: {body}");
        return root.GetProperty("data").Clone();
    }

    /// <summary>Polls <paramref name="check"/> every 250 ms until it returns null (done) or the deadline passes (fails with its last complaint).</summary>
    public async Task EventuallyAsync(Func<Task<string?>> check, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var complaint = await check();
            if (complaint is null)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{complaint}\nprometheus log:\n{Log}");
            }

            await Task.Delay(250);
        }
    }

    private async Task<LoopbackServer> Serve(Func<HttpContext, string> exposition)
    {
        var server = await LoopbackServer.StartAsync(async context =>
        {
            if (context.Request.Path != "/metrics")
            {
                context.Response.StatusCode = 404;
                return;
            }

            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await context.Response.WriteAsync(exposition(context));
        });
        _servers.Add(server);
        return server;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private void KillOnExit(object? sender, EventArgs e) => Kill();

    private void Kill()
    {
        try
        {
            if (_process is { HasExited: false })
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public async Task DisposeAsync()
    {
        Kill();
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        _process?.Dispose();
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        Http.Dispose();
    }

    /// <summary>After <see cref="DisposeAsync"/> (xunit's order): the process is gone, its files can go.</summary>
    public void Dispose() => _dir?.Dispose();
}

/// <summary>deploy/prometheus against a running Prometheus: targets scraped, rules loaded, alerts matching the contract, dashboard queries answering.</summary>
public sealed class PrometheusTests(PrometheusFixture prometheus) : IClassFixture<PrometheusFixture>
{
    private static readonly string[] AlertNames =
    [
        "SluiceUpstreamPeerDown", "AppInstanceDown", "SluiceDown", "SluiceUpstreamHigh5xxRatio",
        "SluiceUpstreamHighLatencyP99", "SluiceConnectionsNearLimit", "SluiceDroppingConnections",
    ];

    [Fact]
    public async Task Every_target_of_the_scrape_config_is_up()
    {
        await prometheus.EventuallyAsync(async () =>
        {
            var targets = (await prometheus.ApiAsync("/api/v1/targets?state=active")).GetProperty("activeTargets").EnumerateArray().ToList();
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
        await prometheus.EventuallyAsync(async () =>
        {
            var rules = (await prometheus.ApiAsync("/api/v1/rules?type=alert")).GetProperty("groups").EnumerateArray()
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
    public async Task Alerts_trigger_on_the_contract_metrics_and_only_where_they_should()
    {
        // The stand-in Sluice reports app-2 down, app-1 at 10% 5xx, app-3 slow, 85% of worker_connections in
        // use and dropped connections; every target is up. Pending or firing both mean the expression matched.
        var expected = new[]
        {
            "SluiceConnectionsNearLimit",
            "SluiceDroppingConnections",
            "SluiceUpstreamHigh5xxRatio peer=app-1:8000",
            "SluiceUpstreamHighLatencyP99 peer=app-3:8000",
            "SluiceUpstreamPeerDown peer=app-2:8000",
        };
        await prometheus.EventuallyAsync(async () =>
        {
            var alerts = (await prometheus.ApiAsync("/api/v1/alerts")).GetProperty("alerts").EnumerateArray()
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
            await prometheus.EventuallyAsync(async () =>
            {
                var data = await prometheus.ApiAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}");
                var result = data.GetProperty("result");
                return result.GetArrayLength() > 0 ? null : $"no data for {query}";
            });
        }
    }
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
    public async Task Alerts_and_dashboard_use_only_contract_metrics_and_the_readme_documents_all_of_them()
    {
        var alerts = await File.ReadAllTextAsync(Repo.Deploy("prometheus", "alerts.yml"));
        var dashboard = string.Join('\n', Queries(await File.ReadAllTextAsync(Repo.Deploy("grafana", "dashboards", "sluice-overview.json"))));
        var used = Regex.Matches(alerts + "\n" + dashboard, @"\b(?:sluice|streamapp)_[a-z0-9_]+\b")
            .Select(m => Regex.Replace(m.Value, "_(bucket|sum|count)$", ""))
            .ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(used, name => !MetricsContract.Families.ContainsKey(name));

        var readme = await File.ReadAllTextAsync(Repo.Deploy("README.md"));
        foreach (var (name, labels) in MetricsContract.Families)
        {
            Assert.Contains($"`{name}`", readme, StringComparison.Ordinal);
            foreach (var label in labels)
            {
                Assert.Contains($"`{label}`", readme, StringComparison.Ordinal);
            }
        }

        Assert.Contains(string.Join(", ", MetricsContract.LatencyBuckets.SkipLast(1)), readme, StringComparison.Ordinal);
    }
}
