using Sluice.Upstreams.Balancing;

namespace Sluice.Tests.Performance;

/// <summary>The shared <see cref="HotPathFixture"/>, built once for the class.</summary>
public sealed class HotPathFixtureHolder : IAsyncLifetime
{
    internal HotPathFixture Fixture { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Fixture = HotPathFixture.Create();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Fixture.DisposeAsync();
}

/// <summary>
/// Allocation budgets of the per-request pieces: bytes allocated per operation on this thread
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/>), averaged over many calls after a warm-up. No timing:
/// the counts are deterministic, so a change that adds an allocation to the request path fails here.
/// Each budget is what the code allocates today, rounded up (see the comments), so lowering one is the reward of an
/// optimization — lower it in the same commit; raising one needs a reason. The same operations are timed by
/// bench/Sluice.Benchmarks.
/// </summary>
public sealed class AllocationBudgetTests(HotPathFixtureHolder holder) : IClassFixture<HotPathFixtureHolder>
{
    private const int WarmUp = 2_000;
    private const int Iterations = 20_000;

    private HotPathFixture F => holder.Fixture;

    // Budgets are today's bytes per operation rounded up to a multiple of 16: less than the smallest object (24
    // bytes), so any new allocation on these paths fails the test, while a runtime whose Match or StringBuilder is
    // 8 bytes larger does not.

    [Fact]
    public void PrefixLocationMatchAllocatesNothing() =>
        // The longest prefix, then the regex location after it, which fails (Regex.Match returns Match.Empty).
        AssertBudget("location match, prefix", () => F.MatchPrefix(), 0);

    [Fact]
    public void ExactLocationMatchAllocatesNothing() => AssertBudget("location match, exact", () => F.MatchExact(), 0);

    [Fact]
    public void RegexLocationMatchKeepsOnlyTheMatch() =>
        // A successful Regex.Match: the Match object and its group arrays, kept for $1…$9. 248 bytes today.
        AssertBudget("location match, regex", () => F.MatchRegex(), 256);

    [Fact]
    public void ExactServerNameMatchAllocatesNothing() => AssertBudget("server_name, exact", () => F.MatchServerExact(), 0);

    [Fact]
    public void WildcardServerNameMatchAllocatesNothing() => AssertBudget("server_name, *.wildcard", () => F.MatchServerWildcard(), 0);

    [Fact]
    public void RegexServerNameMatchKeepsOnlyTheMatch() =>
        // The Match of ~^(?<sub>[a-z]+)\.regex\.test$, kept for $sub. 248 bytes today.
        AssertBudget("server_name, regex", () => F.MatchServerRegex(), 256);

    [Fact]
    public void SingleVariableTemplate() =>
        // "$remote_addr" (proxy_set_header X-Real-IP): a template that is one variable returns the variable's own
        // string (IPAddress caches its text), so nothing is built.
        AssertBudget("template $remote_addr", () => F.RenderSingleVariable(), 0);

    [Fact]
    public void ForwardedForTemplate() =>
        // "$proxy_add_x_forwarded_for" with no X-Forwarded-For from the client: the address itself, nothing built.
        AssertBudget("template $proxy_add_x_forwarded_for", () => F.RenderForwardedFor(), 0);

    [Fact]
    public void CompositeTemplate() =>
        // "$scheme://$host$request_uri": the builder, its chunks as it grows, and the result. 448 bytes today.
        AssertBudget("template $scheme://$host$request_uri", () => F.RenderComposite(), 448);

    [Fact]
    public void MainLogFormatTemplate() =>
        // The guide's "main" format as one template: $request, $time_local, $status, $body_bytes_sent,
        // $request_time and $upstream_response_time are formatted into new strings on every call, then the
        // builder's chunks and the line: 1,176 bytes here today (1,144 in BenchmarkDotNet once dynamic PGO has
        // optimized everything). $time_local alone is 400 of them (DateTimeOffset's custom format; nginx formats
        // it once a second), and 72 more while the BCL's formatting code runs unoptimized (before tier-up, or
        // with DOTNET_ReadyToRun=0): the budget allows for that, so it holds whatever the JIT has done so far.
        AssertBudget("template log_format main", () => F.RenderLogLine(), 1_248);

    [Fact]
    public void RoundRobinPickAndFreeAllocatesNothing() =>
        // The PeerSelection is reused across a connection's requests (Begin resets it); Pick and Free allocate nothing.
        AssertBudget("round robin Begin+Pick+Free", () => HotPathFixture.PickAndFree(F.RoundRobin, default), 0);

    [Fact]
    public void LeastConnPickAndFreeAllocatesNothing() =>
        AssertBudget("least_conn Begin+Pick+Free", () => HotPathFixture.PickAndFree(F.LeastConn, default), 0);

    [Fact]
    public void ConsistentHashPickAndFreeAllocatesNothing() =>
        // The key's UTF-8 bytes for crc32 are made on the stack.
        AssertBudget("hash consistent Begin+Pick+Free", () => HotPathFixture.PickAndFree(F.ConsistentHash, HotPathFixture.HashedRequest), 0);

    [Fact]
    public void VariableProxyPassToAKnownAddressAllocatesNothing() =>
        // The address text is looked up as a span of the rendered URL; the target, $proxy_host and $proxy_port
        // were made when the address was first seen. (A URI in the URL costs its substring.)
        AssertBudget("proxy_pass http://$address, cached", () => F.ResolveVariablePass(), 0);

    [Fact]
    public void ResponseHeadParseOfARepeatedResponseAllocatesNothing() =>
        // A field whose bytes equal the previous response's field in the same place reuses its strings, and
        // "OK" is interned: the same response again allocates nothing (a new Date value would cost one string).
        AssertBudget("ResponseHead.Parse", () => F.ParseResponseHead(), 0);

    [Fact]
    public void RequestHeadWriteAllocatesNothing() =>
        // One writer serves request after request; its buffer is rented from ArrayPool and returned.
        AssertBudget("RequestHeadWriter", HotPathFixture.WriteRequestHead, 0);

    [Fact]
    public void TheSameOperationAllocatesTheSameEveryTime()
    {
        // The budgets above rely on GetAllocatedBytesForCurrentThread being exact: two measurements agree.
        var first = BytesPerOperation(() => F.RenderLogLine());
        var second = BytesPerOperation(() => F.RenderLogLine());
        Assert.Equal(first, second);
    }

    private static void AssertBudget<T>(string what, Func<T> operation, long budget)
    {
        var bytes = BytesPerOperation(operation);
        Assert.True(bytes <= budget, $"{what}: {bytes} bytes per operation, budget {budget}");
    }

    private static long BytesPerOperation<T>(Func<T> operation)
    {
        for (var i = 0; i < WarmUp; i++)
        {
            Sink<T>.Value = operation();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Iterations; i++)
        {
            Sink<T>.Value = operation();
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / Iterations;
    }

    /// <summary>Keeps results alive without boxing them (GC.KeepAlive(object) would box an int: 24 bytes).</summary>
    private static class Sink<T>
    {
        [ThreadStatic]
        public static T? Value;
    }
}
