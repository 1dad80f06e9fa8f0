using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Upstreams;

/// <summary>
/// proxy_next_upstream against nginx, attempt by attempt: which backend answered, the <c>$upstream_addr</c> and
/// <c>$upstream_status</c> lists, the shape of the timing variables, and when a peer is taken out — a status
/// proxy_next_upstream names is a failure only when another peer is really tried (nginx 1.22's
/// ngx_http_upstream_test_next). The backends are told per request what to do (<c>?b1=502</c>: b1 answers 502).
/// </summary>
public sealed partial class NextUpstreamDifferentialTests : IClassFixture<NextUpstreamDifferentialTests.Fixture>
{
    private static readonly int[] Statuses = [500, 502, 503, 504, 403, 404, 429];

    /// <summary>Numbers every request's path (r00001 …), so that log lines are put in request order.</summary>
    private static int _sequence;

    private readonly DifferentialRig _rig;
    private readonly ITestOutputHelper _output;

    public NextUpstreamDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _rig = fixture.Rig;
        _output = output;
    }

    public sealed class Fixture : DifferentialFixture
    {
        protected override int Backends => 3;

        protected override string Config => """
            events {}
            http {
                log_format attempts '$request_method $request_uri $status addr=[$upstream_addr] status=[$upstream_status] connect=[$upstream_connect_time] header=[$upstream_header_time] response=[$upstream_response_time]';
                access_log {{LOGS}}/attempts.log attempts;
                proxy_read_timeout 1s;

                upstream pair { server {{B1}} max_fails=0; server {{B2}} max_fails=0; }
                upstream trio { server {{B1}} max_fails=0; server {{B2}} max_fails=0; server {{B3}} max_fails=0; }
                upstream refused { server 127.0.0.1:1 max_fails=0; server {{B1}} max_fails=0; }
                upstream dead { server 127.0.0.1:1 fail_timeout=60s; server 127.0.0.1:2 fail_timeout=60s; }
                upstream alldown { server {{B1}} down; server {{B2}} down; }
                upstream counted_last { server {{B1}} fail_timeout=60s; server {{B2}} fail_timeout=60s; }
                upstream counted_tries1 { server {{B1}} fail_timeout=60s; server {{B2}} fail_timeout=60s; }
                upstream counted_post { server {{B1}} fail_timeout=60s; server {{B2}} fail_timeout=60s; }
                upstream counted_timeout { server {{B1}} fail_timeout=60s; server {{B2}} fail_timeout=60s; }
                upstream counted_404 { server {{B1}} fail_timeout=60s; server {{B2}} fail_timeout=60s; }

                server {
                    listen {{LISTEN}};
                    location /plain/ { proxy_pass http://pair; }
            """ + string.Concat(Statuses.Select(s => $"\n        location /http_{s}/ {{ proxy_pass http://pair; proxy_next_upstream error timeout http_{s}; }}")) + "\n" + """
                    location /invalid_header/ { proxy_pass http://pair; proxy_next_upstream error timeout invalid_header; }
                    location /timeout/ { proxy_pass http://pair; }
                    location /error_only/ { proxy_pass http://pair; proxy_next_upstream error; }
                    location /tries/ { proxy_pass http://trio; proxy_next_upstream error timeout http_502; proxy_next_upstream_tries 2; }
                    location /next_timeout/ { proxy_pass http://trio; proxy_next_upstream error timeout http_502; proxy_next_upstream_timeout 1s; proxy_read_timeout 5s; }
                    location /refused/ { proxy_pass http://refused; }
                    location /dead/ { proxy_pass http://dead; }
                    location /alldown/ { proxy_pass http://alldown; }
                    location /counted_last/ { proxy_pass http://counted_last; proxy_next_upstream error timeout http_502; }
                    location /counted_tries1/ { proxy_pass http://counted_tries1; proxy_next_upstream error timeout http_502; proxy_next_upstream_tries 1; }
                    location /counted_post/ { proxy_pass http://counted_post; proxy_next_upstream error timeout http_502; }
                    location /counted_timeout/ { proxy_pass http://counted_timeout; proxy_next_upstream error timeout http_502; proxy_next_upstream_timeout 1s; proxy_read_timeout 5s; }
                    location /counted_404/ { proxy_pass http://counted_404; proxy_next_upstream error timeout http_404; }
                }
            }
            """;
    }

    private string B1 => _rig.Backends[0].Address;

    private string B2 => _rig.Backends[1].Address;

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(429)]
    public async Task A_status_named_by_proxy_next_upstream_moves_on_like_nginx(int status)
    {
        var prefix = $"/http_{status}/";
        var lines = await CompareAsync(prefix, [$"?b1={status}", $"?b1={status}", $"?b2={status}", $"?b1={status}&b2={status}", $"?b1={status}&b2={status}", ""]);
        Assert.Contains(lines, l => l.Contains($"status=[{status}, 200]", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($" {status} addr=[{B1}, {B2}] status=[{status}, {status}]", StringComparison.Ordinal)
            || l.Contains($" {status} addr=[{B2}, {B1}] status=[{status}, {status}]", StringComparison.Ordinal));

        // Not named, the status is the answer.
        var plain = await CompareAsync("/plain/", [$"?b1={status}&b2={status}"]);
        Assert.Contains($" {status} addr=[", plain[^1], StringComparison.Ordinal);
        Assert.DoesNotContain(",", plain[^1].Split("addr=")[1].Split(']')[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_header_moves_on_only_when_named_like_nginx()
    {
        var named = await CompareAsync("/invalid_header/", ["?b1=big", "?b1=big", "?b1=big&b2=big"]);
        Assert.Contains(named, l => l.Contains("status=[502, 200]", StringComparison.Ordinal));
        var (nginx, sluice) = _rig.ErrorMessages("upstream sent too big header");
        Assert.Equal(nginx, sluice);
        Assert.NotEmpty(sluice);

        var unnamed = await CompareAsync("/plain/", ["?b1=big&b2=big"]);
        Assert.Contains(" 502 addr=[", unnamed[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timeout_moves_on_by_default_and_not_without_timeout_like_nginx()
    {
        var moved = await CompareAsync("/timeout/", ["?b1=wait3000", "?b1=wait3000"]);
        Assert.Contains(moved, l => l.Contains("status=[504, 200]", StringComparison.Ordinal));

        var stayed = await CompareAsync("/error_only/", ["?b1=wait3000&b2=wait3000"]);
        Assert.Contains(" 504 addr=[", stayed[^1], StringComparison.Ordinal);
        Assert.Contains("status=[504]", stayed[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Proxy_next_upstream_tries_limits_the_attempts_like_nginx()
    {
        var lines = await CompareAsync("/tries/", ["?b1=502&b2=502&b3=502", "?b1=502&b2=502&b3=502"]);
        Assert.All(lines, l => Assert.Contains("status=[502, 502]", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Proxy_next_upstream_timeout_stops_moving_on_like_nginx()
    {
        // Fast failures move on through all three; a failure that took longer than the 1 s ends the request.
        var lines = await CompareAsync("/next_timeout/", ["?b1=502&b2=502", "?b1=wait1200,502&b2=wait1200,502&b3=wait1200,502"]);
        Assert.Contains("status=[502, 502, 200]", lines[^2], StringComparison.Ordinal);
        Assert.Contains("status=[502]", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_timing_variables_list_every_attempt_like_nginx()
    {
        // A refused connect, a timeout, a status: "-" where a phase did not happen, seconds with three decimals.
        var lines = await CompareAsync("/refused/", ["", ""]);
        Assert.Contains(lines, l => l.Contains("status=[502, 200] connect=[-, T] header=[-, T] response=[T, T]", StringComparison.Ordinal));
        var timeout = await CompareAsync("/timeout/", ["?b1=wait3000&b2=wait3000"]);
        Assert.Contains("connect=[T, T] header=[-, -] response=[T, T]", timeout[^1], StringComparison.Ordinal);
        var status = await CompareAsync("/http_503/", ["?b1=503&b2=503"]);
        Assert.Contains("connect=[T, T] header=[T, T] response=[T, T]", status[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_live_upstreams_answers_502_with_the_group_name_like_nginx()
    {
        // Both peers refuse: they are failed (max_fails=1) and the next request finds none.
        var lines = await CompareAsync("/dead/", ["", "", ""]);
        Assert.Contains("addr=[127.0.0.1:1, 127.0.0.1:2] status=[502, 502]", lines[0], StringComparison.Ordinal);
        Assert.Contains(" 502 addr=[dead] status=[502]", lines[1], StringComparison.Ordinal);

        var down = await CompareAsync("/alldown/", [""]);
        Assert.Contains(" 502 addr=[alldown] status=[502]", down[^1], StringComparison.Ordinal);

        var (nginxPage, sluicePage) = await _rig.SendAsync($"/dead/r{Interlocked.Increment(ref _sequence):D5}");
        DifferentialAssert.Same(nginxPage, sluicePage, _output);
        await WaitForLinesAsync("/dead/", 4);

        var (nginxErrors, sluiceErrors) = _rig.ErrorMessages("no live upstreams");
        var nginx = nginxErrors.Select(l => Number().Replace(l, "/x")).ToList();
        var sluice = sluiceErrors.Select(l => Number().Replace(l, "/x")).ToList();
        _output.WriteLine(string.Join("\n", sluice));
        Assert.Equal(nginx, sluice);
        Assert.Contains(sluice, l => l == "[error] no live upstreams while connecting to upstream, client: 127.0.0.1, server: , request: \"GET /dead/x HTTP/1.1\", upstream: \"http://dead/dead/x\", host: \"127.0.0.1:PORT\"");
        var disabled = _rig.ErrorMessages("temporarily disabled");
        Assert.Equal(disabled.Nginx.Where(l => l.Contains("/dead/", StringComparison.Ordinal)), disabled.Sluice.Where(l => l.Contains("/dead/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_last_peers_502_is_no_failure_and_a_502_that_moves_on_is_like_nginx()
    {
        // b1's 502 moves on (b1 out for 60 s), b2's is the answer (b2 stays in): the plain requests go to b2.
        // Then b2's 502 has a try left: it moves on, b2 is out too, and nothing is left.
        var lines = await CompareAsync("/counted_last/", ["?b1=502&b2=502", "", "", "?b2=502", ""]);
        Assert.Equal(
            [
                $"GET /counted_last/x?b1=502&b2=502 502 addr=[{B1}, {B2}] status=[502, 502]",
                $"GET /counted_last/x 200 addr=[{B2}] status=[200]",
                $"GET /counted_last/x 200 addr=[{B2}] status=[200]",
                $"GET /counted_last/x?b2=502 502 addr=[{B2}, counted_last] status=[502, 502]",
                "GET /counted_last/x 502 addr=[counted_last] status=[502]",
            ],
            lines.Select(WithoutTimes));
        AssertSameWarnings("/counted_last/");
    }

    [Fact]
    public async Task A_502_with_proxy_next_upstream_tries_1_is_no_failure_like_nginx()
    {
        var lines = await CompareAsync("/counted_tries1/", ["?b1=502&b2=502", "?b1=502&b2=502", "?b1=502&b2=502", "", ""]);
        Assert.Equal([B1, B2, B1, B2, B1], lines.Select(Addresses));
        AssertSameWarnings("/counted_tries1/");
    }

    [Fact]
    public async Task A_post_answered_502_without_non_idempotent_is_no_failure_like_nginx()
    {
        var lines = await CompareAsync("/counted_post/", ["?b1=502&b2=502", "?b1=502&b2=502", "", ""], method: "POST");
        Assert.Equal([B1, B2, B1, B2], lines.Select(Addresses));
        AssertSameWarnings("/counted_post/");
    }

    [Fact]
    public async Task A_502_after_proxy_next_upstream_timeout_is_no_failure_like_nginx()
    {
        var lines = await CompareAsync("/counted_timeout/", ["?b1=wait1200,502&b2=wait1200,502", "?b1=wait1200,502&b2=wait1200,502", "", ""]);
        Assert.Equal([B1, B2, B1, B2], lines.Select(Addresses));
        AssertSameWarnings("/counted_timeout/");
    }

    [Fact]
    public async Task A_404_moves_on_without_a_failure_like_nginx()
    {
        // Had b1's 404 been a failure, the second request would have gone to b2 alone.
        var lines = await CompareAsync("/counted_404/", ["?b1=404&b2=404", "?b1=404&b2=404", ""]);
        Assert.Equal([$"{B1}, {B2}", $"{B2}, {B1}", B1], lines.Select(Addresses));
        AssertSameWarnings("/counted_404/");
    }

    /// <summary>
    /// Sends <c>prefix + "rNNNNN" + query</c> for each query to nginx, then Sluice, compares the statuses and
    /// the access log lines of the prefix, and returns Sluice's lines of this call (rNNNNN as x, times as T).
    /// </summary>
    private async Task<List<string>> CompareAsync(string prefix, string[] queries, string method = "GET")
    {
        var before = Lines(_rig.NginxAccessLog("attempts.log"), prefix).Count;
        foreach (var query in queries)
        {
            var (nginx, sluice) = await _rig.SendAsync($"{prefix}r{Interlocked.Increment(ref _sequence):D5}{query}", m =>
            {
                m.Method = new HttpMethod(method);
                if (method != "GET")
                {
                    m.Content = new StringContent("payload");
                }
            });
            Assert.Equal(nginx.Status, sluice.Status);
        }

        var all = await WaitForLinesAsync(prefix, before + queries.Length);
        _output.WriteLine("nginx:\n" + string.Join("\n", all.Nginx.Skip(before)) + "\nsluice:\n" + string.Join("\n", all.Sluice.Skip(before)));
        Assert.Equal(all.Nginx, all.Sluice);
        return [.. all.Sluice.Skip(before)];
    }

    private async Task<(List<string> Nginx, List<string> Sluice)> WaitForLinesAsync(string prefix, int count)
    {
        await Eventually.TrueAsync(
            () => Lines(_rig.NginxAccessLog("attempts.log"), prefix).Count >= count && Lines(_rig.SluiceAccessLog("attempts.log"), prefix).Count >= count,
            "both access logs are written");
        return (Lines(_rig.NginxAccessLog("attempts.log"), prefix), Lines(_rig.SluiceAccessLog("attempts.log"), prefix));
    }

    /// <summary>
    /// The prefix's lines in request order (a proxy may log a request after its client has the answer and
    /// sent the next one), the request's number as x, every time as T (the shape is compared: "-" or seconds,
    /// one per attempt).
    /// </summary>
    private static List<string> Lines(string log, string prefix) =>
        [
            .. log.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => l.Contains(" " + prefix, StringComparison.Ordinal))
                .OrderBy(l => Number().Match(l).Value, StringComparer.Ordinal)
                .Select(l => Time().Replace(Number().Replace(l, "/x", 1), "T")),
        ];

    /// <summary>nginx and Sluice warned "upstream server temporarily disabled" for the same attempts.</summary>
    private void AssertSameWarnings(string prefix)
    {
        var (nginx, sluice) = _rig.ErrorMessages("temporarily disabled");
        Assert.Equal(nginx.Where(l => l.Contains(prefix, StringComparison.Ordinal)), sluice.Where(l => l.Contains(prefix, StringComparison.Ordinal)));
    }

    private static string WithoutTimes(string line) => line[..line.IndexOf(" connect=", StringComparison.Ordinal)];

    private static string Addresses(string line) => line.Split("addr=[")[1].Split(']')[0];

    [GeneratedRegex(@"\b\d+\.\d{3}\b")]
    private static partial Regex Time();

    [GeneratedRegex(@"/r\d{5}")]
    private static partial Regex Number();
}
