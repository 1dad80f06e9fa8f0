using StreamApp.Tests.Infrastructure;

namespace StreamApp.Tests.Api;

/// <summary>/metrics is Prometheus text with the request, latency, stream and publish series.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_parse_as_Prometheus_text_and_count_what_happened()
    {
        await using var app = await AppInstance.StartAsync("metrics", redisUrl: null);
        for (var i = 0; i < 3; i++)
        {
            using var _ = await app.Client.GetAsync($"api/lookup?key=k{i}");
        }

        using (await app.Client.GetAsync("api/status?code=503"))
        {
        }

        using (await app.Client.GetAsync("not/a/route"))
        {
        }

        await app.PublishAsync("events", new { n = 1 });
        await app.PublishAsync("events", new { n = 2 });
        await using var stream = await app.StreamAsync();

        using var response = await app.Client.GetAsync("metrics");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var (types, samples) = PrometheusText.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("counter", types["streamapp_http_requests_total"]);
        Assert.Equal("histogram", types["streamapp_http_request_duration_seconds"]);
        Assert.Equal("gauge", types["streamapp_sse_streams_open"]);
        Assert.Equal("counter", types["streamapp_events_published_total"]);

        double Requests(string path, string method, string status) => samples
            .Where(s => s.Name == "streamapp_http_requests_total" && s.Labels["path"] == path && s.Labels["method"] == method && s.Labels["status"] == status)
            .Sum(s => s.Value);

        Assert.Equal(3, Requests("/api/lookup", "GET", "200"));
        Assert.Equal(1, Requests("/api/status", "GET", "503"));
        Assert.Equal(1, Requests("unmatched", "GET", "404"));
        Assert.Equal(2, Requests("/api/publish", "POST", "200"));
        Assert.Equal(2, samples.Single(s => s.Name == "streamapp_events_published_total").Value);
        Assert.Equal(1, samples.Single(s => s.Name == "streamapp_sse_streams_open").Value);

        var lookupBuckets = samples.Where(s => s.Name == "streamapp_http_request_duration_seconds_bucket" && s.Labels["path"] == "/api/lookup").ToList();
        Assert.Equal(3, lookupBuckets.Single(s => s.Labels["le"] == "+Inf").Value);
        Assert.Equal(3, samples.Single(s => s.Name == "streamapp_http_request_duration_seconds_count" && s.Labels["path"] == "/api/lookup").Value);
    }

    [Fact]
    public async Task Instances_in_one_process_keep_their_own_metrics()
    {
        await using var a = await AppInstance.StartAsync("a", redisUrl: null);
        await using var b = await AppInstance.StartAsync("b", redisUrl: null);
        await a.PublishAsync("events", new { n = 1 });

        var (_, samplesB) = PrometheusText.Parse(await b.Client.GetStringAsync("metrics"));
        Assert.Equal(0, samplesB.Single(s => s.Name == "streamapp_events_published_total").Value);
        var (_, samplesA) = PrometheusText.Parse(await a.Client.GetStringAsync("metrics"));
        Assert.Equal(1, samplesA.Single(s => s.Name == "streamapp_events_published_total").Value);
    }
}
