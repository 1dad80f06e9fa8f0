using BenchmarkDotNet.Attributes;
using Sluice.Tests.Performance;

namespace Sluice.Benchmarks;

/// <summary>The fixture every benchmark class shares: the configuration is loaded once per benchmark process.</summary>
public abstract class HotPathBenchmarks
{
    private HotPathFixture? _fixture;

    internal HotPathFixture F => _fixture ?? throw new InvalidOperationException("GlobalSetup did not run");

    [GlobalSetup]
    public void Setup() => _fixture = HotPathFixture.Create();

    [GlobalCleanup]
    public void Cleanup() => _fixture?.DisposeAsync().AsTask().GetAwaiter().GetResult();
}

/// <summary>Location search (LocationMatcher) and virtual server choice (ServerNameMatcher).</summary>
[MemoryDiagnoser]
public class RoutingBenchmarks : HotPathBenchmarks
{
    [Benchmark(Description = "location: prefix (+ failing regex)")]
    public object? LocationPrefix() => F.MatchPrefix();

    [Benchmark(Description = "location: exact")]
    public object? LocationExact() => F.MatchExact();

    [Benchmark(Description = "location: regex")]
    public object? LocationRegex() => F.MatchRegex();

    [Benchmark(Description = "server_name: exact")]
    public object ServerExact() => F.MatchServerExact();

    [Benchmark(Description = "server_name: *.wildcard")]
    public object ServerWildcard() => F.MatchServerWildcard();

    [Benchmark(Description = "server_name: regex")]
    public object ServerRegex() => F.MatchServerRegex();
}

/// <summary>CompiledTemplate.Render with a RequestContext (proxy_set_header values, a log line).</summary>
[MemoryDiagnoser]
public class TemplateBenchmarks : HotPathBenchmarks
{
    [Benchmark(Description = "$remote_addr")]
    public string SingleVariable() => F.RenderSingleVariable();

    [Benchmark(Description = "$proxy_add_x_forwarded_for")]
    public string ForwardedFor() => F.RenderForwardedFor();

    [Benchmark(Description = "$scheme://$host$request_uri")]
    public string Composite() => F.RenderComposite();

    [Benchmark(Description = "log_format main")]
    public string LogLine() => F.RenderLogLine();
}

/// <summary>One request's Begin + Pick + Free per balancing method (three equal peers), and the target of a proxy_pass with variables.</summary>
[MemoryDiagnoser]
public class BalancerBenchmarks : HotPathBenchmarks
{
    [Benchmark(Description = "round robin", Baseline = true)]
    public object RoundRobin() => HotPathFixture.PickAndFree(F.RoundRobin, default);

    [Benchmark(Description = "least_conn")]
    public object LeastConn() => HotPathFixture.PickAndFree(F.LeastConn, default);

    [Benchmark(Description = "hash $request_uri consistent")]
    public object ConsistentHash() => HotPathFixture.PickAndFree(F.ConsistentHash, HotPathFixture.HashedRequest);

    [Benchmark(Description = "proxy_pass http://$address (cached)")]
    public object VariablePass() => F.ResolveVariablePass().Upstream!;
}

/// <summary>The upstream HTTP/1.1 leg: parsing the response head, writing the request head.</summary>
[MemoryDiagnoser]
public class Http1Benchmarks : HotPathBenchmarks
{
    [Benchmark(Description = "ResponseHead.Parse (6 fields)")]
    public int ParseResponseHead() => F.ParseResponseHead();

    [Benchmark(Description = "RequestHeadWriter (6 fields)")]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "BenchmarkDotNet runs instance methods")]
    public int WriteRequestHead() => HotPathFixture.WriteRequestHead();
}
