using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Http;

/// <summary>
/// proxy_pass against nginx with the same backends: which backend answered, the URI and headers it received
/// (proxy_pass URI rules, proxy_set_header inheritance, X-Forwarded-For, Host), and what the client got.
/// </summary>
public sealed class ProxyDifferentialTests : IClassFixture<ProxyDifferentialTests.Fixture>
{
    public sealed class Fixture : DifferentialFixture
    {
        protected override int Backends => 3;

        protected override string Config => """
            events {}
            http {
                proxy_set_header X-Http-Level yes;
                upstream backend {
                    server {{B1}};
                    server {{B2}};
                    server {{B3}};
                }
                upstream single { server {{B2}}; }
                upstream dead { server 127.0.0.1:1; }
                server {
                    listen {{LISTEN}};
                    server_name proxy.test;

                    location / {
                        proxy_pass http://backend;
                    }
                    location /with-uri/ {
                        proxy_pass http://single/base/;
                    }
                    location /no-slash {
                        proxy_pass http://single/other;
                    }
                    location /host-port/ {
                        proxy_pass http://{{B1}}/;
                    }
                    location ~ ^/regex/(.*)$ {
                        proxy_pass http://single;
                    }
                    location /headers/ {
                        proxy_pass http://single;
                        proxy_set_header Host $host;
                        proxy_set_header X-Real-IP $remote_addr;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header X-Forwarded-Proto $scheme;
                        proxy_set_header X-Empty "";
                    }
                    location /keep/ {
                        proxy_pass http://single;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                    }
                    location /rewritten/ {
                        rewrite ^/rewritten/(.*)$ /landing/$1 break;
                        proxy_pass http://single/ignored/;
                    }
                    location /redirect {
                        proxy_pass http://single;
                    }
                    location /dead {
                        proxy_pass http://dead;
                    }
                    location /hide {
                        proxy_pass http://single;
                        proxy_hide_header X-Backend;
                    }
                    location /status/ {
                        proxy_pass http://single;
                    }
                    location /split {
                        set $pool single;
                        proxy_pass http://$pool;
                    }
                    location /pass-server/ {
                        proxy_pass http://single;
                        proxy_pass_header Server;
                    }
                    location /pass-date/ {
                        proxy_pass http://single;
                        proxy_pass_header Date;
                        proxy_pass_header X-Pad;
                    }
                    location /add-server/ {
                        proxy_pass http://single;
                        add_header Server added;
                    }
                    location /echo-uri/ {
                        return 200 "$uri|$request_uri";
                    }
                }
            }
            """;
    }

    private readonly DifferentialRig _rig;
    private readonly ITestOutputHelper _output;

    public ProxyDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _rig = fixture.Rig;
        _output = output;
    }

    [Theory]
    [InlineData("/with-uri/x/y?q=1")]
    [InlineData("/with-uri/")]
    [InlineData("/with-uri")]
    [InlineData("/no-slash/a")]
    [InlineData("/no-slashes")]
    [InlineData("/host-port/p?a=b")]
    [InlineData("/regex/anything?z=9")]
    [InlineData("/headers/h")]
    [InlineData("/keep/k")]
    [InlineData("/rewritten/thing?x=1")]
    [InlineData("/redirect/r")]
    [InlineData("/dead")]
    [InlineData("/hide")]
    [InlineData("/status/503")]
    [InlineData("/status/404")]
    [InlineData("/split/s")]
    [InlineData("/with-uri/%41%20b")]
    [InlineData("/with-uri/%E9x%C3%A9")]
    [InlineData("/rewritten/%E9%20z?x=1")]
    [InlineData("/echo-uri/%E9x%C3%A9%FF")]
    public async Task Proxied_request_matches_nginx(string path)
    {
        var (nginx, sluice) = await _rig.SendAsync(path, r =>
        {
            r.Headers.Host = "proxy.test";
            r.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.1.1.1");
            r.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
            r.Headers.TryAddWithoutValidation("X-Custom", "kept");
        });
        DifferentialAssert.Same(nginx, sluice, _output);
    }

    /// <summary>
    /// proxy_hide_header hides the upstream's Server, Date and X-Pad by default and the server writes its own Server
    /// and Date; proxy_pass_header lets the upstream's through instead; add_header Server adds a second line.
    /// </summary>
    [Theory]
    [InlineData("/with-uri/", false, false)]
    [InlineData("/pass-server/", true, false)]
    [InlineData("/pass-date/", false, true)]
    [InlineData("/add-server/", false, false)]
    public async Task Upstream_server_and_date_pass_only_with_proxy_pass_header(string location, bool serverPasses, bool datePasses)
    {
        const string UpstreamDate = "Mon, 01 Jan 2001 00:00:00 GMT";
        var (nginx, sluice) = await _rig.SendAsync($"{location}x?reply=Server:TestBackend/1.0&reply=Date:{Uri.EscapeDataString(UpstreamDate)}&reply=X-Pad:pad");
        DifferentialAssert.Same(nginx, sluice, _output);
        Assert.Equal(serverPasses, sluice.Header("server") == "TestBackend/1.0");
        Assert.Equal(datePasses, sluice.Date == UpstreamDate);
        Assert.Equal(nginx.Date == UpstreamDate, sluice.Date == UpstreamDate);
    }

    [Fact]
    public async Task Post_body_reaches_the_backend_like_nginx()
    {
        var (nginx, sluice) = await _rig.SendAsync("/with-uri/post", r =>
        {
            r.Method = HttpMethod.Post;
            r.Content = new StringContent("{\"hello\":\"world\"}", System.Text.Encoding.UTF8, "application/json");
        });
        DifferentialAssert.Same(nginx, sluice, _output);
    }

    [Fact]
    public async Task Round_robin_visits_backends_in_nginx_order()
    {
        var nginxOrder = new List<string>();
        var sluiceOrder = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var (nginx, sluice) = await _rig.SendAsync($"/rr/{i}");
            nginxOrder.Add(nginx.Header("x-backend") ?? "?");
            sluiceOrder.Add(sluice.Header("x-backend") ?? "?");
        }

        _output.WriteLine(string.Join(" ", nginxOrder));
        _output.WriteLine(string.Join(" ", sluiceOrder));
        Assert.Equal(nginxOrder, sluiceOrder);
    }
}
