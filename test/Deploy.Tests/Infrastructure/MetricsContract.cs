using System.Globalization;
using System.Text;

namespace Deploy.Tests.Infrastructure;

/// <summary>
/// The metrics contract of deploy/README.md: what Sluice's <c>/metrics</c> (sluice_metrics) and the
/// applications' <c>/metrics</c> expose, which prometheus/alerts.yml and the Grafana dashboard query.
/// The stand-in scrape targets of the Prometheus test serve exactly these, in the text exposition format.
/// </summary>
public static class MetricsContract
{
    /// <summary>Every metric family of the contract (histograms by their base name), with its labels.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Families = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["sluice_connections_active"] = [],
        ["sluice_connections"] = ["state"],
        ["sluice_connections_accepted_total"] = [],
        ["sluice_connections_handled_total"] = [],
        ["sluice_http_requests_total"] = [],
        ["sluice_worker_connections"] = [],
        ["sluice_upstream_peer_up"] = ["upstream", "peer"],
        ["sluice_upstream_responses_total"] = ["upstream", "peer", "code_class"],
        ["sluice_upstream_header_seconds"] = ["upstream", "peer"],
        ["streamapp_sse_streams_open"] = [],
    };

    /// <summary>The buckets README.md recommends for sluice_upstream_header_seconds.</summary>
    public static readonly string[] LatencyBuckets = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];

    public static readonly string[] Peers = ["app-1:8000", "app-2:8000", "app-3:8000"];

    /// <summary>
    /// Sluice's exposition <paramref name="seconds"/> after start, describing a stack in trouble: app-2 is
    /// down, app-1 answers 10% 5xx, app-3's p99 is above 500 ms, 3500 of 4096 connections are in use and
    /// one accepted connection in ten is not handled. Counters grow with time, so rate() has something to see.
    /// </summary>
    public static string SluiceExposition(double seconds)
    {
        var w = new Writer();
        w.Family("sluice_connections_active", "gauge", "Open client connections (stub_status Active connections).");
        w.Sample("sluice_connections_active", "", 3500);
        w.Family("sluice_connections", "gauge", "Open client connections by state (stub_status Reading, Writing, Waiting).");
        w.Sample("sluice_connections", "state=\"reading\"", 10);
        w.Sample("sluice_connections", "state=\"writing\"", 2000);
        w.Sample("sluice_connections", "state=\"waiting\"", 1490);
        w.Family("sluice_connections_accepted_total", "counter", "Accepted client connections (stub_status accepts).");
        w.Sample("sluice_connections_accepted_total", "", Count(seconds, 100));
        w.Family("sluice_connections_handled_total", "counter", "Handled client connections (stub_status handled).");
        w.Sample("sluice_connections_handled_total", "", Count(seconds, 90));
        w.Family("sluice_http_requests_total", "counter", "Client requests (stub_status requests).");
        w.Sample("sluice_http_requests_total", "", Count(seconds, 300));
        w.Family("sluice_worker_connections", "gauge", "The worker_connections limit.");
        w.Sample("sluice_worker_connections", "", 4096);

        w.Family("sluice_upstream_peer_up", "gauge", "1 if the peer is in rotation, 0 if it is down.");
        foreach (var peer in Peers)
        {
            w.Sample("sluice_upstream_peer_up", Labels(peer), peer == "app-2:8000" ? 0 : 1);
        }

        w.Family("sluice_upstream_responses_total", "counter", "Responses from upstream peers by status class ($upstream_status).");
        foreach (var peer in Peers)
        {
            var (ok, clientErrors, serverErrors) = peer switch
            {
                "app-1:8000" => (85, 5, 10),
                "app-2:8000" => (0, 0, 0),
                _ => (100, 0, 0),
            };
            w.Sample("sluice_upstream_responses_total", $"{Labels(peer)},code_class=\"2xx\"", Count(seconds, ok));
            w.Sample("sluice_upstream_responses_total", $"{Labels(peer)},code_class=\"4xx\"", Count(seconds, clientErrors));
            w.Sample("sluice_upstream_responses_total", $"{Labels(peer)},code_class=\"5xx\"", Count(seconds, serverErrors));
        }

        w.Family("sluice_upstream_header_seconds", "histogram", "Time until the upstream response header arrived ($upstream_header_time).");
        foreach (var peer in Peers)
        {
            var perSecond = peer == "app-2:8000" ? 0 : 100;
            long cumulative = 0;
            foreach (var le in LatencyBuckets)
            {
                // app-1 and app-2: everything within 25 ms. app-3: 98 in 100 within 50 ms, the rest within 2.5 s.
                cumulative = peer == "app-3:8000"
                    ? le switch { "0.005" or "0.01" or "0.025" => 0, "0.05" or "0.1" or "0.25" or "0.5" or "1" => Count(seconds, 98), _ => Count(seconds, perSecond) }
                    : le switch { "0.005" or "0.01" => Count(seconds, perSecond / 2), _ => Count(seconds, perSecond) };
                w.Sample("sluice_upstream_header_seconds_bucket", $"{Labels(peer)},le=\"{le}\"", cumulative);
            }

            w.Sample("sluice_upstream_header_seconds_sum", Labels(peer), cumulative * 0.02);
            w.Sample("sluice_upstream_header_seconds_count", Labels(peer), cumulative);
        }

        return w.ToString();
    }

    /// <summary>An application instance's exposition: the SSE gauge the dashboard reads.</summary>
    public static string AppExposition(int openStreams)
    {
        var w = new Writer();
        w.Family("streamapp_sse_streams_open", "gauge", "Server-sent-event streams this instance holds open.");
        w.Sample("streamapp_sse_streams_open", "", openStreams);
        return w.ToString();
    }

    private static string Labels(string peer) => $"upstream=\"backend\",peer=\"{peer}\"";

    private static long Count(double seconds, int perSecond) => (long)(seconds * perSecond);

    private sealed class Writer
    {
        private readonly StringBuilder _text = new();

        public void Family(string name, string type, string help) =>
            _text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
                .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

        public void Sample(string name, string labels, double value)
        {
            _text.Append(name);
            if (labels.Length > 0)
            {
                _text.Append('{').Append(labels).Append('}');
            }

            _text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        public override string ToString() => _text.ToString();
    }
}
