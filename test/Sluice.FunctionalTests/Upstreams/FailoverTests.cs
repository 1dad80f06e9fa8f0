using System.Globalization;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Upstreams;

/// <summary>
/// Passive health under load: a backend that dies costs no client request (proxy_next_upstream error
/// timeout), gets at most one trial per fail_timeout while dead, and serves again once it is back.
/// Requests that reached a failing upstream are retried only when idempotent, as nginx does.
/// </summary>
public sealed class FailoverTests
{
    private readonly ITestOutputHelper _output;

    public FailoverTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task A_backend_that_dies_under_load_costs_no_request_gets_one_trial_per_fail_timeout_and_serves_again()
    {
        const int failTimeout = 2;
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var b3 = await TestBackend.StartAsync("b3");

        // b2 counts every connection it resets while dead: each one is an attempt Sluice made on it.
        await using var b2 = new RawBackend(_ => RawBackend.Ok("b2"));
        await using var sluice = await SluiceInstance.StartAsync(port => $$"""
            events {}
            http {
                access_log off;
                upstream backend {
                    server {{b1.Address}} max_fails=1 fail_timeout={{failTimeout}}s;
                    server {{b2.Address}} max_fails=1 fail_timeout={{failTimeout}}s;
                    server {{b3.Address}} max_fails=1 fail_timeout={{failTimeout}}s;
                    keepalive 16;
                }
                server {
                    listen 127.0.0.1:{{port}};
                    location / {
                        proxy_pass http://backend;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                    }
                }
            }
            """);

        using var client = new HttpClient { BaseAddress = new Uri(sluice.Url), Timeout = TimeSpan.FromSeconds(30) };
        var failures = 0;
        var served = 0;
        var gate = new LoadGate();
        using var stop = new CancellationTokenSource();

        async Task<bool> GetAsync(string path)
        {
            using var response = await client.GetAsync(path);
            Interlocked.Increment(ref served);
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref failures);
            }

            return response.IsSuccessStatusCode;
        }

        async Task LoadAsync(int worker)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await gate.EnterAsync();
                try
                {
                    await GetAsync($"/load/{worker}/{i}");
                }
                finally
                {
                    gate.Leave();
                }
            }
        }

        var load = Enumerable.Range(0, 4).Select(LoadAsync).ToList();
        await Eventually.TrueAsync(() => b2.Requests > 20, "b2 serves under load");

        // b2 dies while nothing is in flight, and requests go one at a time until one meets it: that failure
        // takes it out (max_fails=1), so every later connection to it is a trial of its own. (Under load,
        // requests that chose b2 before the first failure was counted would meet it at the same moment.)
        await gate.CloseAsync();
        b2.Resetting = true;
        for (var i = 0; b2.ResetTimes.Count == 0; i++)
        {
            Assert.True(await GetAsync($"/single/{i}"), "a request that met the dead backend was answered by another");
            Assert.True(i < 1000, "no request reached b2");
        }

        gate.Open();
        await Task.Delay(TimeSpan.FromSeconds(3.5 * failTimeout));

        // Back, on the same port: after the current fail_timeout it takes requests again.
        b2.Resetting = false;
        var before = b2.Requests;
        await Eventually.TrueAsync(() => b2.Requests > before + 10, "b2 serves again", TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var attempts = b2.ResetTimes;
        var gaps = attempts.Zip(attempts.Skip(1), (a, b) => b - a).ToList();
        _output.WriteLine($"served {served}, failed {failures}; attempts on the dead b2 at {string.Join(", ", attempts.Select(t => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)))}");
        Assert.True(served > 500, $"only {served} requests were made");
        Assert.Equal(0, failures);

        // The failure that took b2 out, then trials: never two within one fail_timeout (nginx's whole-second
        // clock makes each come more than fail_timeout after the failure before it), and at least one while
        // it was dead for three and a half fail_timeouts.
        Assert.True(attempts.Count >= 2, $"{attempts.Count} attempts on the dead backend");
        Assert.All(gaps, gap => Assert.True(gap > TimeSpan.FromSeconds(failTimeout), $"two attempts {gap.TotalSeconds:0.000} s apart"));
        Assert.Contains("upstream server temporarily disabled", sluice.ErrorLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_idempotent_requests_are_retried_only_with_non_idempotent_like_nginx()
    {
        await using var closer = new ScriptedBackend();
        await using var good = await TestBackend.StartAsync("good");
        await using var rig = await DifferentialRig.StartAsync("""
            events {}
            http {
                log_format attempts '$request $status upstream=[$upstream_addr] status=[$upstream_status]';
                access_log {{LOGS}}/attempts.log attempts;
                upstream flaky { server CLOSER max_fails=0; server GOOD max_fails=0; }
                server {
                    listen {{LISTEN}};
                    location /default/ { proxy_pass http://flaky; }
                    location /any/ { proxy_pass http://flaky; proxy_next_upstream error timeout non_idempotent; }
                    location /off/ { proxy_pass http://flaky; proxy_next_upstream off; }
                }
            }
            """.Replace("CLOSER", closer.Address, StringComparison.Ordinal).Replace("GOOD", good.Address, StringComparison.Ordinal));

        var statuses = new List<(string Request, int Nginx, int Sluice)>();
        foreach (var location in new[] { "default", "any", "off" })
        {
            foreach (var method in new[] { "GET", "POST", "GET", "POST", "PATCH", "PUT", "POST" })
            {
                var (nginx, sluice) = await rig.SendAsync($"/{location}/x", m =>
                {
                    m.Method = new HttpMethod(method);
                    if (method != "GET")
                    {
                        m.Content = new StringContent("payload");
                    }
                });
                statuses.Add(($"{method} /{location}/", nginx.Status, sluice.Status));
            }
        }

        foreach (var (request, nginx, sluice) in statuses)
        {
            _output.WriteLine($"{request}: nginx {nginx}, sluice {sluice}");
        }

        Assert.All(statuses, s => Assert.Equal(s.Nginx, s.Sluice));

        // Every attempt is in $upstream_addr and $upstream_status, as nginx lists them ("a, b" and "502, 200").
        await Eventually.TrueAsync(() => rig.SluiceAccessLog("attempts.log").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == statuses.Count, "the access log is written");
        // In order of their text: a proxy may log a request after its client has the answer and sent the next one.
        var nginxLines = rig.NginxAccessLog("attempts.log").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
        var sluiceLines = rig.SluiceAccessLog("attempts.log").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        _output.WriteLine(string.Join("\n", sluiceLines));
        Assert.Equal(nginxLines, sluiceLines);
        Assert.Contains(sluiceLines, l => l.Contains($"upstream=[{closer.Address}, {good.Address}] status=[502, 200]", StringComparison.Ordinal));
        Assert.Contains(statuses, s => s.Request == "POST /default/" && s.Sluice == 502);
        Assert.DoesNotContain(statuses, s => s.Request.StartsWith("POST /any/", StringComparison.Ordinal) && s.Sluice != 200);
        Assert.DoesNotContain(statuses, s => s.Request.StartsWith("GET /default/", StringComparison.Ordinal) && s.Sluice != 200);
    }

    /// <summary>
    /// Lets the load's workers through, or holds each before its next request; closing it waits until no
    /// request of theirs is in flight.
    /// </summary>
    private sealed class LoadGate
    {
        private TaskCompletionSource _open = Opened();
        private int _inFlight;

        public async Task EnterAsync()
        {
            while (true)
            {
                // Counted before looking at the gate: a closer that saw no request in flight is seen by this one.
                Interlocked.Increment(ref _inFlight);
                var open = Volatile.Read(ref _open);
                if (open.Task.IsCompleted)
                {
                    return;
                }

                Interlocked.Decrement(ref _inFlight);
                await open.Task;
            }
        }

        public void Leave() => Interlocked.Decrement(ref _inFlight);

        public async Task CloseAsync()
        {
            Interlocked.Exchange(ref _open, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            await Eventually.TrueAsync(() => Volatile.Read(ref _inFlight) == 0, "the requests in flight finish");
        }

        public void Open() => Volatile.Read(ref _open).TrySetResult();

        private static TaskCompletionSource Opened()
        {
            var open = new TaskCompletionSource();
            open.SetResult();
            return open;
        }
    }
}
