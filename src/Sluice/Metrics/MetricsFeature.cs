using Microsoft.AspNetCore.Http;
using Sluice.Http.Runtime;
using Sluice.Proxy.Runtime;
using Sluice.Upstreams.Balancing;

namespace Sluice.Metrics;

/// <summary>
/// Builds the metrics of a generation: when some block has <c>sluice_metrics</c>, every upstream peer gets
/// its counting children and finished requests are counted per server block; the blocks with the directive
/// answer with the metrics.
/// </summary>
internal sealed class MetricsFeature : IHttpFeature
{
    public void Prepare(HttpBuildContext context)
    {
        var metrics = context.Previous.TryGetValue(typeof(SluiceMetrics), out var m) ? (SluiceMetrics)m : new SluiceMetrics(context.Time);
        context.Carry[typeof(SluiceMetrics)] = metrics;
        if (!context.Compiler.State<MetricsConfState>().Used)
        {
            metrics.Attach([], [], context.Counters, 0);
            return;
        }

        var peers = new List<(string, UpstreamPeer, bool)>();
        if (context.Carry.TryGetValue(typeof(UpstreamPool), out var pool))
        {
            foreach (var target in ((UpstreamPool)pool).Targets)
            {
                var runtime = target.Runtime;
                for (var set = runtime.Balancer.Peers; set is not null; set = set.Next)
                {
                    foreach (var peer in set.Peers)
                    {
                        peers.Add((runtime.Name, peer, set.IsBackup));
                    }
                }
            }
        }

        var core = Core.CoreConfig.From(context.Compiler);
        var workers = core.WorkerProcesses == 0 ? Environment.ProcessorCount : Math.Max(1, core.WorkerProcesses);
        var servers = context.State.Servers.OrderBy(s => s.Index).Select(s => s.Names.FirstOrDefault(n => n.Regex is null)?.Name ?? s.Names.FirstOrDefault()?.Name ?? "").ToList();
        metrics.Attach(peers, servers, context.Counters, core.WorkerConnections * workers);
        context.OnRequestCompleted(metrics.RequestCompleted);
    }

    public void BuildLocation(LocationBuildContext location)
    {
        if (location.Scope.TryGetHere(MetricsSettings.Enabled, out var enabled) && enabled)
        {
            location.Handlers.Add(new MetricsHandler((SluiceMetrics)location.Http.Carry[typeof(SluiceMetrics)]));
        }
    }
}

/// <summary>The metrics page: Prometheus's text format, for GET and HEAD.</summary>
internal sealed class MetricsHandler(SluiceMetrics metrics) : PhaseHandler
{
    public override HttpPhase Phase => HttpPhase.Content;

    public override async ValueTask<PhaseOutcome> ExecuteAsync(RequestContext request)
    {
        var method = request.Http.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            return PhaseOutcome.Finalize(405);
        }

        using var buffer = new MemoryStream();
        await metrics.WriteAsync(buffer, request.Http.RequestAborted).ConfigureAwait(false);
        var response = request.Http.Response;
        SpecialResponse.SetStatus(request, 200);
        response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        response.ContentLength = buffer.Length;
        if (!HttpMethods.IsHead(method))
        {
            buffer.Position = 0;
            await buffer.CopyToAsync(response.Body, request.Http.RequestAborted).ConfigureAwait(false);
            request.BodyBytesSent += buffer.Length;
        }

        return PhaseOutcome.Done;
    }
}
