using Prometheus;

namespace StreamApp.Metrics;

/// <summary>
/// The instance's counters, kept once and shown twice: as plain numbers in /health/detailed and as Prometheus
/// series on /metrics. Each instance has its own registry (not prometheus-net's static default), so several
/// instances hosted in one process — the demo, the tests — each report only their own traffic.
/// </summary>
public sealed class AppMetrics
{
    private readonly Counter _requests;
    private readonly Histogram _duration;
    private readonly Counter _published;
    private readonly Counter _delivered;
    private long _requestCount;
    private long _errorCount;
    private long _publishedCount;
    private long _deliveredCount;
    private int _openStreams;

    public AppMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter(
            "streamapp_http_requests_total",
            "HTTP requests answered, by route template, method and status code.",
            ["method", "path", "status"]);
        _duration = factory.CreateHistogram(
            "streamapp_http_request_duration_seconds",
            "Time from receiving a request to finishing its response (for /stream: the stream's lifetime).",
            ["method", "path"],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        var open = factory.CreateGauge("streamapp_sse_streams_open", "Server-Sent Events streams open now.");
        _published = factory.CreateCounter("streamapp_events_published_total", "Events published through this instance.");
        _delivered = factory.CreateCounter("streamapp_sse_events_sent_total", "Events written to SSE clients of this instance.");

        // The gauge is read from the one counter the streaming code maintains, so the two can never disagree.
        Registry.AddBeforeCollectCallback(() => open.Set(OpenStreams));
        DotNetStats.Register(Registry);
    }

    public CollectorRegistry Registry { get; }

    public long Requests => Interlocked.Read(ref _requestCount);

    public long Errors => Interlocked.Read(ref _errorCount);

    public long Published => Interlocked.Read(ref _publishedCount);

    public long Delivered => Interlocked.Read(ref _deliveredCount);

    public int OpenStreams => Volatile.Read(ref _openStreams);

    public void RequestCompleted(string method, string path, int status, double seconds)
    {
        Interlocked.Increment(ref _requestCount);
        if (status >= 500)
        {
            Interlocked.Increment(ref _errorCount);
        }

        _requests.WithLabels(method, path, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        _duration.WithLabels(method, path).Observe(seconds);
    }

    public void StreamOpened() => Interlocked.Increment(ref _openStreams);

    public void StreamClosed() => Interlocked.Decrement(ref _openStreams);

    public void EventPublished()
    {
        Interlocked.Increment(ref _publishedCount);
        _published.Inc();
    }

    public void EventDelivered()
    {
        Interlocked.Increment(ref _deliveredCount);
        _delivered.Inc();
    }
}
