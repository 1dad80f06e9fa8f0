using System.Text.RegularExpressions;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Upstreams;

/// <summary>
/// Passive health under load: a backend that dies costs no client request (proxy_next_upstream error
/// timeout), gets at most one trial per fail_timeout while dead, and serves again once it is back.
/// Requests that reached a failing upstream are retried only when idempotent, as nginx does.
/// </summary>
public sealed partial class FailoverTests
{
    private readonly ITestOutputHelper _output;

    public FailoverTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Killing_a_backend_under_load_loses_no_request_and_it_serves_again_after_fail_timeout()
    {
        var b1 = await TestBackend.StartAsync("b1");
        var b2 = await TestBackend.StartAsync("b2");
        var b3 = await TestBackend.StartAsync("b3");
        var b2Port = b2.Port;
        try
        {
            await using var sluice = await SluiceInstance.StartAsync(port => $$"""
                events {}
                http {
                    access_log off;
                    upstream backend {
                        server {{b1.Address}} max_fails=1 fail_timeout=2s;
                        server {{b2.Address}} max_fails=1 fail_timeout=2s;
                        server {{b3.Address}} max_fails=1 fail_timeout=2s;
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
            using var stop = new CancellationTokenSource();

            async Task LoadAsync(int worker)
            {
                var i = 0;
                while (!stop.IsCancellationRequested)
                {
                    using var response = await client.GetAsync($"/load/{worker}/{i++}");
                    Interlocked.Increment(ref served);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }

            var load = Enumerable.Range(0, 4).Select(LoadAsync).ToList();
            await Task.Delay(1000);
            Assert.True(b2.Requests > 0);

            // b2 dies under load, and stays dead for 7 s (three and a half fail_timeouts).
            await b2.DisposeAsync();
            var deadSince = DateTime.UtcNow;
            await Task.Delay(7000);
            var deadFor = DateTime.UtcNow - deadSince;
            var trials = ConnectFailures(sluice.ErrorLog, b2Port);

            // Back on the same port: after fail_timeout it is chosen again.
            b2 = await TestBackend.StartAsync("b2", b2Port);
            await Eventually.TrueAsync(() => b2.Requests > 10, "b2 serves again", TimeSpan.FromSeconds(10));
            await stop.CancelAsync();
            await Task.WhenAll(load);

            _output.WriteLine($"served {served}, failed {failures}, connect failures to b2 while dead {trials} in {deadFor.TotalSeconds:0.0}s");
            Assert.True(served > 500, $"only {served} requests were made");
            Assert.Equal(0, failures);

            // One trial per fail_timeout window (2 s), plus the failure that took it out.
            Assert.InRange(trials, 1, (int)(deadFor.TotalSeconds / 2) + 2);
            Assert.Contains("upstream server temporarily disabled", sluice.ErrorLog, StringComparison.Ordinal);
        }
        finally
        {
            await b1.DisposeAsync();
            await b2.DisposeAsync();
            await b3.DisposeAsync();
        }
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
        var nginxLines = rig.NginxAccessLog("attempts.log").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var sluiceLines = rig.SluiceAccessLog("attempts.log").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        _output.WriteLine(string.Join("\n", sluiceLines));
        Assert.Equal(nginxLines, sluiceLines);
        Assert.Contains(sluiceLines, l => l.Contains($"upstream=[{closer.Address}, {good.Address}] status=[502, 200]", StringComparison.Ordinal));
        Assert.Contains(statuses, s => s.Request == "POST /default/" && s.Sluice == 502);
        Assert.DoesNotContain(statuses, s => s.Request.StartsWith("POST /any/", StringComparison.Ordinal) && s.Sluice != 200);
        Assert.DoesNotContain(statuses, s => s.Request.StartsWith("GET /default/", StringComparison.Ordinal) && s.Sluice != 200);
    }

    private static int ConnectFailures(string errorLog, int port) =>
        errorLog.Split('\n').Count(line => line.Contains("connect() failed", StringComparison.Ordinal) && line.Contains($"127.0.0.1:{port}", StringComparison.Ordinal));
}
