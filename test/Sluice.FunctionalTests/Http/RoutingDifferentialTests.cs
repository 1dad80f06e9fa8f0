using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Http;

/// <summary>
/// Which server and location answer, against nginx: a default server per listen address (two ports, each with
/// its own default), <c>www.example.*</c>, <c>server_name ""</c> for a request without Host, locations nested
/// three deep with their regexes, and <c>server_tokens off</c> in the Server header and the error pages.
/// </summary>
public sealed class RoutingDifferentialTests : IClassFixture<RoutingDifferentialTests.Fixture>
{
    public sealed class Fixture : DifferentialFixture
    {
        protected override string Config => """
            events {}
            http {
                server {
                    listen {{LISTEN}};
                    server_name first.test;
                    return 200 "first :$server_port\n";
                }
                server {
                    listen {{LISTEN}} default_server;
                    listen {{LISTEN2}};
                    server_name second.test;
                    return 200 "second :$server_port\n";
                }
                server {
                    listen {{LISTEN2}} default_server;
                    server_name third.test;
                    return 200 "third :$server_port\n";
                }
                server {
                    listen {{LISTEN}};
                    listen {{LISTEN2}};
                    server_name www.example.* *.example.com;
                    return 200 "wildcard $host $server_name\n";
                }
                server {
                    listen {{LISTEN}};
                    server_name "";
                    return 200 "no host\n";
                }
                server {
                    listen {{LISTEN}};
                    server_name nested.test;
                    location /a/ {
                        location /a/b/ {
                            location /a/b/c/ { return 200 "a/b/c\n"; }
                            location ~ \.txt$ { return 200 "a/b regex\n"; }
                            return 200 "a/b\n";
                        }
                        location ~ ^/a/x { return 200 "a regex\n"; }
                        return 200 "a\n";
                    }
                    location ~ ^/a/b/c/deep { return 200 "top regex\n"; }
                    location ^~ /p/ {
                        location ~ \.txt$ { return 200 "p regex\n"; }
                        return 200 "p\n";
                    }
                    location ~ \.txt$ { return 200 "top txt\n"; }
                    location = /exact { return 200 "exact\n"; }
                    location / { return 200 "root\n"; }
                }
                server {
                    listen {{LISTEN}};
                    server_name tokens.test;
                    server_tokens off;
                    location / { return 404; }
                    location /error { return 500; }
                    location /ok { return 200 "ok\n"; }
                    location /moved { return 301 /ok; }
                }
            }
            """;
    }

    private readonly DifferentialRig _rig;
    private readonly ITestOutputHelper _output;

    public RoutingDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _rig = fixture.Rig;
        _output = output;
    }

    [Theory]
    [InlineData("first.test", false)]
    [InlineData("unknown.test", false)]
    [InlineData("second.test", false)]
    [InlineData("third.test", false)]
    [InlineData("unknown.test", true)]
    [InlineData("second.test", true)]
    [InlineData("first.test", true)]
    [InlineData("www.example.org", false)]
    [InlineData("www.example.co.uk", true)]
    [InlineData("www.example", false)]
    [InlineData("shop.example.com", false)]
    [InlineData("www.example.com", false)]
    [InlineData("example.com", false)]
    public async Task Server_is_chosen_as_nginx_chooses(string host, bool secondListener)
    {
        var (nginx, sluice) = await _rig.SendAsync("/", r => r.Headers.Host = host, secondListener);
        DifferentialAssert.Same(nginx, sluice, _output);
    }

    [Theory]
    [InlineData("GET / HTTP/1.0\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.0\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.1\r\nHost:\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\nHost: \r\n\r\n", true)]
    public async Task Request_without_a_host_goes_where_nginx_sends_it(string raw, bool secondListener)
    {
        var (nginx, sluice) = await _rig.SendRawAsync(raw, secondListener);
        DifferentialAssert.Same(nginx, sluice, _output);
    }

    [Theory]
    [InlineData("/a/")]
    [InlineData("/a/other")]
    [InlineData("/a/x1")]
    [InlineData("/a/b/")]
    [InlineData("/a/b/other")]
    [InlineData("/a/b/file.txt")]
    [InlineData("/a/b/c/")]
    [InlineData("/a/b/c/file.txt")]
    [InlineData("/a/b/c/deep")]
    [InlineData("/a/file.txt")]
    [InlineData("/p/")]
    [InlineData("/p/file.txt")]
    [InlineData("/file.txt")]
    [InlineData("/exact")]
    [InlineData("/exact/")]
    [InlineData("/other")]
    public async Task Nested_locations_match_as_in_nginx(string path)
    {
        var (nginx, sluice) = await _rig.SendAsync(path, r => r.Headers.Host = "nested.test");
        DifferentialAssert.Same(nginx, sluice, _output);
    }

    /// <summary>server_tokens off: the product name without its version, in the Server header and the pages' last line.</summary>
    [Theory]
    [InlineData("/ok", 200)]
    [InlineData("/missing", 404)]
    [InlineData("/error", 500)]
    [InlineData("/moved", 301)]
    public async Task Server_tokens_off_hides_the_version(string path, int status)
    {
        var (nginx, sluice) = await _rig.SendAsync(path, r => r.Headers.Host = "tokens.test");
        DifferentialAssert.Same(nginx, sluice, _output);
        Assert.Equal(status, sluice.Status);
        Assert.Equal("PRODUCT", sluice.Header("server"));
        Assert.DoesNotContain("PRODUCT/VERSION", sluice.Body, StringComparison.Ordinal);
        if (status != 200)
        {
            Assert.Contains("<hr><center>PRODUCT</center>", sluice.Body, StringComparison.Ordinal);
        }
    }
}
