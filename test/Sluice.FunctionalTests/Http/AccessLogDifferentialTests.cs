using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Http;

/// <summary>
/// The guide's <c>main</c> (section 4.3, with its stray "$ " fixed: nginx rejects it) and <c>detailed</c>
/// (section 9.4) log formats: for the same requests Sluice's lines equal nginx's field by field; timing fields
/// must only be plausible (non-negative, request_time ≥ upstream_response_time).
/// </summary>
public sealed partial class AccessLogDifferentialTests : IClassFixture<AccessLogDifferentialTests.Fixture>
{
    public sealed class Fixture : DifferentialFixture
    {
        protected override int Backends => 2;

        protected override string Config => """
            events {}
            http {
                log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                                '$status $body_bytes_sent "$http_referer" '
                                '"$http_user_agent" "$http_x_forwarded_for" '
                                'rt=$request_time uct=$upstream_connect_time '
                                'uht=$upstream_header_time urt=$upstream_response_time '
                                'upstream=$upstream_addr';
                log_format detailed '$remote_addr - $remote_user [$time_local] '
                                    '"$request" $status $body_bytes_sent '
                                    'rt=$request_time '
                                    'uct=$upstream_connect_time '
                                    'uht=$upstream_header_time '
                                    'urt=$upstream_response_time';
                access_log {{LOGS}}/main.log main;
                access_log {{LOGS}}/detailed.log detailed;
                upstream backend { server {{B1}}; server {{B2}}; }
                upstream dead { server 127.0.0.1:1; }
                server {
                    listen {{LISTEN}};
                    root {{ROOT}};
                    location /api/ { proxy_pass http://backend; }
                    location /dead { proxy_pass http://dead; }
                    location /quiet { access_log off; return 204; }
                }
            }
            """;

        protected override IDictionary<string, string> Files => new Dictionary<string, string> { ["page.html"] = "<p>page</p>\n" };
    }

    private readonly DifferentialRig _rig;
    private readonly ITestOutputHelper _output;

    public AccessLogDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _rig = fixture.Rig;
        _output = output;
    }

    [Fact]
    public async Task Lines_agree_field_by_field()
    {
        var requests = new (string Path, string? Referer, string? Agent, string? Forwarded)[]
        {
            ("/api/users?id=7", "https://example.com/", "Mozilla/5.0 (test)", null),
            ("/api/items", null, "curl/8.0", "10.0.0.1"),
            ("/page.html", null, null, null),
            ("/missing", "https://ref/", "agent \"quoted\"", null),
            ("/dead", null, null, null),
            ("/quiet", null, null, null),
        };
        foreach (var (path, referer, agent, forwarded) in requests)
        {
            await _rig.SendAsync(path, r =>
            {
                if (referer is not null)
                {
                    r.Headers.TryAddWithoutValidation("Referer", referer);
                }

                if (agent is not null)
                {
                    r.Headers.TryAddWithoutValidation("User-Agent", agent);
                }

                if (forwarded is not null)
                {
                    r.Headers.TryAddWithoutValidation("X-Forwarded-For", forwarded);
                }
            });
        }

        foreach (var log in new[] { "main.log", "detailed.log" })
        {
            var nginx = await LogLines.WaitForAsync(Path.Combine(_rig.NginxLogs, log), requests.Length - 1);
            var sluice = await LogLines.WaitForAsync(Path.Combine(_rig.SluiceLogs, log), requests.Length - 1);
            _output.WriteLine($"{log}\nnginx:\n  {string.Join("\n  ", nginx)}\nsluice:\n  {string.Join("\n  ", sluice)}");
            Assert.Equal(nginx.Count, sluice.Count);

            // Paired by request: nginx's single worker writes them in the order they ended; Sluice's event loops may
            // swap two requests of different connections that ended close together (docs/configuration.md).
            nginx = [.. nginx.OrderBy(RequestOf, StringComparer.Ordinal)];
            sluice = [.. sluice.OrderBy(RequestOf, StringComparer.Ordinal)];
            for (var i = 0; i < nginx.Count; i++)
            {
                CompareLine(nginx[i], sluice[i]);
            }
        }
    }

    /// <summary>The quoted request line of an access log line (every request of the test is a distinct one).</summary>
    private static string RequestOf(string line) => line[line.IndexOf('"', StringComparison.Ordinal)..];

    /// <summary>Equal after masking times, ports and the backend chosen (round robin may start elsewhere); timings plausible.</summary>
    private static void CompareLine(string nginx, string sluice)
    {
        Assert.Equal(Mask(nginx), Mask(sluice));
        var times = Timing().Matches(sluice).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        if (times.TryGetValue("rt", out var rt) && times.TryGetValue("urt", out var urt) && urt != "-")
        {
            var request = double.Parse(rt, CultureInfo.InvariantCulture);
            foreach (var part in urt.Split(", "))
            {
                Assert.True(double.Parse(part, CultureInfo.InvariantCulture) <= request + 0.001, $"urt {part} > rt {rt}");
            }
        }

        foreach (var value in times.Values.SelectMany(v => v.Split(", ")).Where(v => v != "-"))
        {
            Assert.True(double.Parse(value, CultureInfo.InvariantCulture) >= 0);
        }
    }

    private static string Mask(string line)
    {
        line = LogLines.MaskTimeLocal(line);
        line = Timing().Replace(line, m => $"{m.Groups[1].Value}={(m.Groups[2].Value.Contains('-') ? "-" : "T")}");
        return Port().Replace(line, "127.0.0.1:PORT");
    }

    [GeneratedRegex(@"\b(rt|uct|uht|urt)=([\d.]+(?:, [\d.]+)*|-)")]
    private static partial Regex Timing();

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex Port();
}
