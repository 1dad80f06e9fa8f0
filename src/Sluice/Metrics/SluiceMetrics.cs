using Prometheus;
using Sluice.Http.Runtime;
using Sluice.Upstreams.Balancing;

namespace Sluice.Metrics;

/// <summary>
/// Sluice's Prometheus metrics (the names deploy/README.md promises the dashboards and alerts): per
/// upstream peer its responses by status class, failures, connections, health and latency; per server block
/// its requests and bytes; and the stub_status counters. Counters and histograms are prometheus-net
/// children found once per peer when a generation is built, so the request path only adds to them
/// (lock-free); gauges are read from the live objects when Prometheus scrapes. One per process, kept across
/// reloads, so counters only ever grow.
/// </summary>
public sealed class SluiceMetrics
{
    /// <summary>Latency buckets from 5 ms to 10 s.</summary>
    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly string[] PeerLabels = ["upstream", "peer", "address"];

    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly Counter _responses;
    private readonly Counter _failures;
    private readonly Histogram _responseSeconds;
    private readonly Histogram _headerSeconds;
    private readonly Gauge _peerConnections;
    private readonly Gauge _peerUp;
    private readonly Gauge _peerFailedUntil;
    private readonly Gauge _peerFails;
    private readonly Gauge _peerBackup;
    private readonly Gauge _peerDown;
    private readonly Gauge _peerDraining;
    private readonly Counter _serverRequests;
    private readonly Counter _serverBytes;
    private readonly Gauge _active;
    private readonly Gauge _connections;
    private readonly Counter _accepted;
    private readonly Counter _handled;
    private readonly Counter _requests;
    private readonly Gauge _workerConnections;
    private readonly TimeProvider _time;
    private volatile Snapshot _current = new([], null, 0);
    private volatile ServerChildren[] _servers = [];

    public SluiceMetrics(TimeProvider time)
    {
        _time = time;
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        _responses = factory.CreateCounter("sluice_upstream_responses_total", "Upstream attempts by the peer that answered and the status class (a failed attempt counts as 5xx, as nginx logs 502/504).", [.. PeerLabels, "code_class"]);
        _failures = factory.CreateCounter("sluice_upstream_failures_total", "Attempts that counted against the peer for max_fails (errors, timeouts, invalid headers, proxy_next_upstream statuses).", PeerLabels);
        _responseSeconds = factory.CreateHistogram("sluice_upstream_response_seconds", "$upstream_response_time: from the attempt's start to the last byte of the response.", new HistogramConfiguration { LabelNames = PeerLabels, Buckets = LatencyBuckets });
        _headerSeconds = factory.CreateHistogram("sluice_upstream_header_seconds", "$upstream_header_time: from the attempt's start to the response header (the latency of long streams too).", new HistogramConfiguration { LabelNames = PeerLabels, Buckets = LatencyBuckets });
        _peerConnections = factory.CreateGauge("sluice_upstream_peer_connections", "Requests on the peer now (what least_conn and max_conns count; SSE streams included).", PeerLabels);
        _peerUp = factory.CreateGauge("sluice_upstream_peer_up", "1 when the peer takes new requests: not down, not draining, not failed within fail_timeout.", PeerLabels);
        _peerFailedUntil = factory.CreateGauge("sluice_upstream_peer_failed_until_seconds", "When the peer's fail_timeout ends (Unix time) while it is out after max_fails; 0 otherwise.", PeerLabels);
        _peerFails = factory.CreateGauge("sluice_upstream_peer_fails", "Failures counted toward max_fails now.", PeerLabels);
        _peerBackup = factory.CreateGauge("sluice_upstream_peer_backup", "1 for a backup server.", PeerLabels);
        _peerDown = factory.CreateGauge("sluice_upstream_peer_down", "1 for a server marked down.", PeerLabels);
        _peerDraining = factory.CreateGauge("sluice_upstream_peer_draining", "1 for a server marked drain.", PeerLabels);
        _serverRequests = factory.CreateCounter("sluice_server_requests_total", "Requests per server block, by status class.", "server", "code_class");
        _serverBytes = factory.CreateCounter("sluice_server_sent_bytes_total", "Response body bytes per server block ($body_bytes_sent).", "server");
        _active = factory.CreateGauge("sluice_connections_active", "stub_status \"Active connections\": open client connections.");
        _connections = factory.CreateGauge("sluice_connections", "stub_status Reading, Writing and Waiting connections.", "state");
        _accepted = factory.CreateCounter("sluice_connections_accepted_total", "stub_status \"accepts\": client connections accepted.");
        _handled = factory.CreateCounter("sluice_connections_handled_total", "stub_status \"handled\": client connections handled.");
        _requests = factory.CreateCounter("sluice_http_requests_total", "stub_status \"requests\": client requests.");
        _workerConnections = factory.CreateGauge("sluice_worker_connections", "events { worker_connections } times the worker processes: the connection limit.");
        _registry.AddBeforeCollectCallback(Collect);
    }

    /// <summary>
    /// The peers, server blocks and counters of the generation now serving: counting children are found
    /// for each peer (removed for peers that left), so requests only add to them.
    /// </summary>
    /// <param name="servers">The server blocks' names by index (<c>ServerRuntime.Index</c>).</param>
    public void Attach(IReadOnlyList<(string Upstream, UpstreamPeer Peer, bool Backup)> peers, IReadOnlyList<string> servers, ServerCounters counters, int connectionLimit)
    {
        _servers = [.. servers.Select(name => name.Length == 0 ? "_" : name).Select(name => new ServerChildren(
            [.. CodeClasses.Select(c => _serverRequests.WithLabels(name, c))],
            _serverBytes.WithLabels(name)))];
        var previous = _current;
        var keep = new HashSet<(string, string, string)>();
        foreach (var (upstream, peer, backup) in peers)
        {
            string[] labels = [upstream, peer.Server, peer.Name];
            keep.Add((upstream, peer.Server, peer.Name));
            peer.Metrics = new PeerMetrics(
                [.. CodeClasses.Select(c => _responses.WithLabels([.. labels, c]))],
                _failures.WithLabels(labels),
                _responseSeconds.WithLabels(labels),
                _headerSeconds.WithLabels(labels));
        }

        foreach (var (upstream, peer, _) in previous.Peers)
        {
            if (!keep.Contains((upstream, peer.Server, peer.Name)))
            {
                string[] labels = [upstream, peer.Server, peer.Name];
                _failures.RemoveLabelled(labels);
                _responseSeconds.RemoveLabelled(labels);
                _headerSeconds.RemoveLabelled(labels);
                foreach (var gauge in new[] { _peerConnections, _peerUp, _peerFailedUntil, _peerFails, _peerBackup, _peerDown, _peerDraining })
                {
                    gauge.RemoveLabelled(labels);
                }

                foreach (var code in CodeClasses)
                {
                    _responses.RemoveLabelled([.. labels, code]);
                }
            }
        }

        _current = new Snapshot(peers, counters, connectionLimit);
    }

    /// <summary>The request's server block: a request counted by status class, its body bytes.</summary>
    public void RequestCompleted(RequestContext request)
    {
        var servers = _servers;
        if (request.Server is not { } server || server.Index >= servers.Length)
        {
            return;
        }

        var children = servers[server.Index];
        var status = request.Status;
        children.Requests[status is >= 100 and < 600 ? (status / 100) - 1 : 4].Inc();
        if (request.BodyBytesSent > 0)
        {
            children.Bytes.Inc(request.BodyBytesSent);
        }
    }

    /// <summary>Writes the Prometheus text exposition of every metric.</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) => _registry.CollectAndExportAsTextAsync(destination, cancellationToken);

    private static readonly string[] CodeClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"];

    /// <summary>Scrape time: the gauges from the live peers and counters.</summary>
    private void Collect()
    {
        var snapshot = _current;
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        foreach (var (upstream, peer, backup) in snapshot.Peers)
        {
            string[] labels = [upstream, peer.Server, peer.Name];
            var (available, failedUntil) = PeerRules.Describe(peer, now);
            _peerConnections.WithLabels(labels).Set(peer.ActiveConnections);
            _peerUp.WithLabels(labels).Set(available ? 1 : 0);
            _peerFailedUntil.WithLabels(labels).Set(failedUntil);
            _peerFails.WithLabels(labels).Set(peer.FailCount);
            _peerBackup.WithLabels(labels).Set(backup ? 1 : 0);
            _peerDown.WithLabels(labels).Set(peer.Down ? 1 : 0);
            _peerDraining.WithLabels(labels).Set(peer.Drain ? 1 : 0);
        }

        if (snapshot.Counters is { } counters)
        {
            _active.Set(counters.Active);
            _connections.WithLabels("reading").Set(counters.Reading);
            _connections.WithLabels("writing").Set(counters.Writing);
            _connections.WithLabels("waiting").Set(counters.Waiting);
            _accepted.IncTo(counters.Accepted);
            _handled.IncTo(counters.Handled);
            _requests.IncTo(counters.Requests);
        }

        _workerConnections.Set(snapshot.ConnectionLimit);
    }

    /// <summary>A server block's counting children, by status class and for bytes.</summary>
    private sealed record ServerChildren(Counter.Child[] Requests, Counter.Child Bytes);

    private sealed record Snapshot(IReadOnlyList<(string Upstream, UpstreamPeer Peer, bool Backup)> Peers, ServerCounters? Counters, int ConnectionLimit);
}

/// <summary>The counting children of one peer, found once per generation: recording an attempt is four lock-free adds.</summary>
public sealed class PeerMetrics
{
    private readonly Counter.Child[] _byClass;
    private readonly Counter.Child _failures;
    private readonly Histogram.Child _response;
    private readonly Histogram.Child _header;

    internal PeerMetrics(Counter.Child[] byClass, Counter.Child failures, Histogram.Child response, Histogram.Child header)
    {
        _byClass = byClass;
        _failures = failures;
        _response = response;
        _header = header;
    }

    /// <summary>One attempt on the peer ended with <paramref name="status"/> (502/504 when it failed before a response).</summary>
    public void Record(int status, bool failed, TimeSpan? header, TimeSpan? response)
    {
        _byClass[status is >= 100 and < 600 ? (status / 100) - 1 : 4].Inc();
        if (failed)
        {
            _failures.Inc();
        }

        if (header is { } h)
        {
            _header.Observe(h.TotalSeconds);
        }

        if (response is { } r)
        {
            _response.Observe(r.TotalSeconds);
        }
    }
}
