using System.Globalization;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Http;

/// <summary>
/// <c>proxy_pass http://$variable</c> against nginx, for every kind of value: an address (IPv4, IPv6, with and
/// without port or URI) is a peer of its own, an upstream block is named only without a port, a name that is
/// neither needs a resolver, and a value nginx cannot parse is a 500. Compared: the response (the backend's echo
/// shows the request line and Host it got), the access log line (<c>$upstream_addr</c>, <c>$proxy_host</c>,
/// <c>$proxy_port</c>) and the error log lines of the request.
/// </summary>
public sealed class ProxyVariableTargetDifferentialTests : IClassFixture<ProxyVariableTargetDifferentialTests.Fixture>
{
    /// <summary>Numbers every request's path, so that its log lines can be found.</summary>
    private static int _sequence;

    private readonly DifferentialRig _rig;
    private readonly ITestOutputHelper _output;

    public ProxyVariableTargetDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _rig = fixture.Rig;
        _output = output;
    }

    public sealed class Fixture : DifferentialFixture
    {
        protected override int Backends => 1;

        protected override string Config => """
            events {}
            http {
                log_format target '$request_uri $status target=$http_x_target addr=$upstream_addr ustatus=$upstream_status ph=$proxy_host pp=$proxy_port';
                access_log {{LOGS}}/target.log target;
                upstream backend { server {{B1}}; }
                server {
                    listen {{LISTEN}};
                    location /v/ {
                        set $target $http_x_target;
                        proxy_pass http://$target;
                    }
                    location /hp/ {
                        proxy_pass http://$arg_h:$arg_p/fixed$arg_u;
                    }
                }
            }
            """;
    }

    /// <summary>{{B1}} is the backend's address, {{P1}} its port; 127.0.0.1:1 and [::1] on the backend's port refuse.</summary>
    [Theory]
    [InlineData("{{B1}}")]
    [InlineData("{{B1}}/other/uri?x=1")]
    [InlineData("{{B1}}?only=args")]
    [InlineData("127.000.0.01:0{{P1}}")]
    [InlineData("[::ffff:127.0.0.1]:{{P1}}/v6")]
    [InlineData("[::1]:{{P1}}")]
    [InlineData("127.0.0.1:1")]
    [InlineData("backend")]
    [InlineData("BACKEND/u")]
    [InlineData("backend:{{P1}}")]
    [InlineData("backend:80")]
    [InlineData("localhost:{{P1}}")]
    [InlineData("256.0.0.1:{{P1}}")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:{{P1}}:1")]
    [InlineData("[::1")]
    [InlineData("[zz]:80")]
    [InlineData(":80")]
    [InlineData("")]
    public async Task A_variable_target_goes_where_nginx_sends_it(string value)
    {
        var target = value.Replace("{{B1}}", _rig.Backends[0].Address, StringComparison.Ordinal)
            .Replace("{{P1}}", _rig.Backends[0].Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        await SameAsync(Path("/v/"), r => r.Headers.TryAddWithoutValidation("X-Target", target));
    }

    [Theory]
    [InlineData("h=127.0.0.1&p={{P1}}&u=/x")]
    [InlineData("h=127.0.0.1&p={{P1}}")]
    [InlineData("h=backend&p={{P1}}")]
    [InlineData("h=&p=1")]
    public async Task Host_and_port_variables_make_the_address(string query)
    {
        var path = Path("/hp/") + "?" + query.Replace("{{P1}}", _rig.Backends[0].Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        await SameAsync(path, null);
    }

    /// <summary>
    /// nginx makes the address a single peer for each request: a failure is never counted, so the next request
    /// tries it again ("connect() failed" every time, never "no live upstreams").
    /// </summary>
    [Fact]
    public async Task Failures_of_an_address_are_not_counted()
    {
        for (var i = 0; i < 3; i++)
        {
            await SameAsync(Path("/v/"), r => r.Headers.TryAddWithoutValidation("X-Target", "127.0.0.1:1"));
        }

        var (nginx, sluice) = _rig.ErrorMessages("no live upstreams");
        Assert.Empty(nginx);
        Assert.Empty(sluice);
    }

    private static string Path(string prefix) => $"{prefix}r{Interlocked.Increment(ref _sequence):D4}";

    /// <summary>Sends the request to both and compares the answers, then the access log line and the error lines of the request.</summary>
    private async Task SameAsync(string path, Action<HttpRequestMessage>? configure)
    {
        var (nginx, sluice) = await _rig.SendAsync(path, configure);
        DifferentialAssert.Same(nginx, sluice, _output);

        // The request's own path marks its lines (the logs are shared by the class's tests).
        var marker = path.Split('?')[0];
        var nginxLine = await LineAsync(System.IO.Path.Combine(_rig.NginxLogs, "target.log"), marker);
        var sluiceLine = await LineAsync(System.IO.Path.Combine(_rig.SluiceLogs, "target.log"), marker);
        _output.WriteLine($"nginx:  {nginxLine}\nsluice: {sluiceLine}");
        Assert.Equal(nginxLine, sluiceLine);

        var (nginxErrors, sluiceErrors) = _rig.ErrorMessages(marker);
        _output.WriteLine(string.Join("\n", nginxErrors.Concat(sluiceErrors)));
        Assert.Equal(nginxErrors, sluiceErrors);
    }

    private static async Task<string> LineAsync(string path, string marker)
    {
        string? Find() => File.Exists(path) ? File.ReadAllLines(path).FirstOrDefault(l => l.StartsWith(marker + " ", StringComparison.Ordinal) || l.StartsWith(marker + "?", StringComparison.Ordinal)) : null;
        await Eventually.TrueAsync(() => Find() is not null, $"a line for {marker} in {path}");
        return Find()!;
    }
}
