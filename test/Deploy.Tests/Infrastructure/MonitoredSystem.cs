using System.Globalization;
using System.Text.Json;

namespace Deploy.Tests.Infrastructure;

/// <summary>
/// The compose stack's monitoring, on loopback with the real programs: three StreamApp instances
/// (<c>dotnet StreamApp.dll</c>, configured by environment as in their containers), Sluice running a copy of
/// deploy/sluice-dev.conf in front of them, and Prometheus running a copy of deploy/prometheus/prometheus.yml
/// with the real alerts.yml, scraping and evaluating every second. The copy of sluice-dev.conf adds two
/// peers to its upstream, so the alerts have something to tell apart: one nothing listens on (it fails and
/// goes out of rotation) and one marked <c>down</c> (out on purpose). Everything is killed on dispose.
/// </summary>
public sealed class MonitoredSystem : IAsyncLifetime, IDisposable
{
    private readonly List<BackgroundProcess> _processes = [];
    private TempDirectory? _dir;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The peer nothing listens on (max_fails=1, a long fail_timeout): out of rotation after its first attempt.</summary>
    public string FailedPeer { get; } = $"127.0.0.1:{FreePort.Next()}";

    /// <summary>The peer marked <c>down</c> in the configuration.</summary>
    public string DownPeer { get; } = $"127.0.0.1:{FreePort.Next()}";

    public int PrometheusPort { get; private set; }

    public int SluicePort { get; private set; }

    public IReadOnlyList<int> AppPorts { get; private set; } = [];

    /// <summary>Every process's output, for failure messages.</summary>
    public string Log => string.Join('\n', _processes.Select(p => $"--- {p.Name}:\n{p.Log}"));

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync();
            Dispose();
            throw;
        }
    }

    private async Task StartAsync()
    {
        _dir = new TempDirectory("deploy-stack");
        AppPorts = [FreePort.Next(), FreePort.Next(), FreePort.Next()];
        var apps = AppPorts.Select((port, i) => Start($"app-{i + 1}", BuiltPrograms.DotnetHost, ["exec", BuiltPrograms.StreamAppDll], new Dictionary<string, string?>
        {
            ["INSTANCE_ID"] = $"app-{i + 1}",
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["BIND"] = "127.0.0.1",
            ["REDIS_URL"] = null,
            ["ASPNETCORE_URLS"] = null,
        })).ToList();
        for (var i = 0; i < apps.Count; i++)
        {
            await apps[i].WaitForPortAsync(AppPorts[i]);
        }

        var sluiceConf = await LoopbackConfig.CreateAsync("sluice-dev.conf", _dir, [.. AppPorts.Select(p => $"127.0.0.1:{p}")]);
        var conf = Edit.Replace(
            sluiceConf.Text,
            "        keepalive 32;\n",
            $"        server {FailedPeer} max_fails=1 fail_timeout=600s;\n        server {DownPeer} down;\n        keepalive 32;\n",
            "sluice-dev.conf");
        SluicePort = sluiceConf.HttpPort;
        var sluice = Start("sluice", BuiltPrograms.DotnetHost, ["exec", BuiltPrograms.SluiceDll, "-p", _dir.Path + "/", "-c", _dir.Write("sluice.conf", conf)]);
        await sluice.WaitForPortAsync(SluicePort);

        PrometheusPort = FreePort.Next();
        const string file = "deploy/prometheus/prometheus.yml";
        var config = await File.ReadAllTextAsync(Repo.Deploy("prometheus", "prometheus.yml"));
        config = Edit.Replace(config, "scrape_interval: 15s", "scrape_interval: 1s", file);
        config = Edit.Replace(config, "evaluation_interval: 15s", "evaluation_interval: 1s", file);
        config = Edit.Replace(config, "- sluice:80\n", $"- 127.0.0.1:{SluicePort}\n", file);
        for (var i = 0; i < 3; i++)
        {
            config = Edit.Replace(config, $"- app-{i + 1}:8000\n", $"- 127.0.0.1:{AppPorts[i]}\n", file);
        }

        config = Edit.Replace(config, "- localhost:9090\n", $"- 127.0.0.1:{PrometheusPort}\n", file);
        File.Copy(Repo.Deploy("prometheus", "alerts.yml"), _dir.Combine("alerts.yml"));
        var prometheus = Start("prometheus", Tools.Prometheus,
        [
            $"--config.file={_dir.Write("prometheus.yml", config)}",
            $"--storage.tsdb.path={_dir.Combine("data")}",
            $"--web.listen-address=127.0.0.1:{PrometheusPort}",
            "--log.level=warn",
        ]);
        await prometheus.WaitForPortAsync(PrometheusPort);
        await EventuallyAsync(async () =>
        {
            using var ready = await Http.GetAsync(new Uri($"http://127.0.0.1:{PrometheusPort}/-/ready"));
            return ready.IsSuccessStatusCode ? null : $"prometheus not ready: {(int)ready.StatusCode}";
        });

        // Traffic once Prometheus holds Sluice's counters at their start, so that rate() sees them grow: every
        // request succeeds (the failed peer's attempt is retried on another), the failed peer is out after it.
        await EventuallyAsync(async () =>
            (await ApiAsync("/api/v1/query?query=" + Uri.EscapeDataString("up{job=\"sluice\"} == 1"))).GetProperty("result").GetArrayLength() > 0
                ? null
                : "prometheus has not scraped sluice yet");
        for (var i = 0; i < 20; i++)
        {
            using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{SluicePort}/api/lookup?key={i}"));
            Assert.True(response.IsSuccessStatusCode, $"/api/lookup through sluice: {(int)response.StatusCode}\n{Log}");
        }
    }

    /// <summary>GET /api/v1/... of Prometheus and the "data" member of a successful answer.</summary>
    public async Task<JsonElement> ApiAsync(string pathAndQuery)
    {
        using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{PrometheusPort}{pathAndQuery}"));
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.True(root.GetProperty("status").GetString() == "success", $"{pathAndQuery}: {body}");
        return root.GetProperty("data").Clone();
    }

    /// <summary>GET a page of a program of the stack (its /metrics).</summary>
    public Task<string> GetAsync(int port, string path) => Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}{path}"));

    /// <summary>Polls <paramref name="check"/> every 250 ms until it returns null (done) or the deadline passes (fails with its last complaint).</summary>
    public async Task EventuallyAsync(Func<Task<string?>> check)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            string? complaint;
            try
            {
                complaint = await check();
            }
            catch (HttpRequestException e)
            {
                complaint = e.Message;
            }

            if (complaint is null)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{complaint}\n{Log}");
            }

            await Task.Delay(250);
        }
    }

    private BackgroundProcess Start(string name, string fileName, string[] arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var process = BackgroundProcess.Start(name, fileName, arguments, _dir!.Path, environment);
        _processes.Add(process);
        return process;
    }

    public async Task DisposeAsync()
    {
        // Prometheus first, so no scrape meets a target that is going away; then Sluice, then the apps.
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }

        _processes.Clear();
        Http.Dispose();
    }

    /// <summary>After <see cref="DisposeAsync"/> (xunit's order): the processes are gone, their files can go.</summary>
    public void Dispose() => _dir?.Dispose();
}
