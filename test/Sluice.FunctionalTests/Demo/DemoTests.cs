using System.Text;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Demo;

/// <summary>
/// <c>sluice demo</c>, the README's first command, driven as a user would: requests through Sluice reach
/// all three instances, an event published through Sluice arrives on streams held (through Sluice) by
/// different instances, and after "stop app-2" a burst of requests loses nothing. Once with the private
/// redis-server the demo starts when one is installed, once with the in-process store.
/// </summary>
public sealed class DemoTests
{
    private readonly ITestOutputHelper _output;

    public DemoTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Demo_balances_shares_events_and_survives_an_instance_stopping(bool noRedis)
    {
        var port = FreePort.Next();
        string[] args = noRedis
            ? ["demo", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--heartbeat", "1", "--no-redis"]
            : ["demo", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--heartbeat", "1"];
        await using var demo = SluiceProcess.Start(args, new Dictionary<string, string?> { ["REDIS_URL"] = null });
        try
        {
            await Eventually.TrueAsync(() => demo.Stdout.Contains("sluice demo: ready", StringComparison.Ordinal) || demo.HasExited, "the demo is ready", TimeSpan.FromSeconds(60));
            Assert.False(demo.HasExited, demo.Stdout + demo.Stderr);
            Assert.Contains(noRedis ? "one in-process store" : "a private redis-server", demo.Stdout, StringComparison.Ordinal);

            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            var seen = new HashSet<string>();
            for (var i = 0; i < 30; i++)
            {
                using var response = await client.GetAsync("/");
                response.EnsureSuccessStatusCode();
                seen.Add(response.Headers.GetValues("X-Instance-Id").Single());
            }

            Assert.Equal(["app-1", "app-2", "app-3"], seen.Order());

            // Three streams: least_conn puts each on another instance, since each holds its connection.
            var streams = new List<(string Instance, StreamReader Reader, HttpResponseMessage Response)>();
            for (var i = 0; i < 3; i++)
            {
                var response = await client.GetAsync("/stream", HttpCompletionOption.ResponseHeadersRead);
                response.EnsureSuccessStatusCode();
                Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
                streams.Add((response.Headers.GetValues("X-Instance-Id").Single(), new StreamReader(await response.Content.ReadAsStreamAsync()), response));
            }

            Assert.Equal(3, streams.Select(s => s.Instance).Distinct().Count());

            using (var publish = await client.PostAsync("/api/publish", new StringContent("""{"event":"message","data":{"demo":"hello-42"}}""", Encoding.UTF8, "application/json")))
            {
                publish.EnsureSuccessStatusCode();
            }

            foreach (var (instance, reader, _) in streams)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                string? line;
                do
                {
                    line = await reader.ReadLineAsync(timeout.Token);
                }
                while (line is not null && !line.Contains("hello-42", StringComparison.Ordinal));

                Assert.True(line is not null, $"the event reached the stream on {instance}");
            }

            foreach (var (_, reader, response) in streams)
            {
                reader.Dispose();
                response.Dispose();
            }

            // One instance goes away: the next burst of requests (some on connections Sluice had to it) all succeed.
            await demo.SendLineAsync("stop app-2");
            await Eventually.TrueAsync(() => demo.Stdout.Contains("sluice demo: app-2 stopped", StringComparison.Ordinal), "app-2 stops");
            var failures = 0;
            var answered = new HashSet<string>();
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
            {
                for (var i = 0; i < 50; i++)
                {
                    using var response = await client.GetAsync($"/api/lookup?key={worker}-{i}");
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref failures);
                    }
                    else
                    {
                        lock (answered)
                        {
                            answered.Add(response.Headers.GetValues("X-Instance-Id").Single());
                        }
                    }
                }
            }));

            Assert.Equal(0, failures);
            Assert.Equal(["app-1", "app-3"], answered.Order());

            // Sluice's own metrics saw all of it, per instance.
            var metrics = await client.GetStringAsync("/metrics");
            Assert.Contains("sluice_upstream_responses_total{upstream=\"backend\"", metrics, StringComparison.Ordinal);
            Assert.Contains("sluice_upstream_peer_connections", metrics, StringComparison.Ordinal);

            // And back.
            await demo.SendLineAsync("start app-2");
            await Eventually.TrueAsync(() => demo.Stdout.Contains("sluice demo: app-2 started", StringComparison.Ordinal), "app-2 starts again");
        }
        finally
        {
            _output.WriteLine(demo.Stdout);
            _output.WriteLine(demo.Stderr);
        }
    }
}
