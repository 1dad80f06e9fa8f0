using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Http;

/// <summary>return, rewrite, if, set, add_header (inheritance, always), allow/deny and error_page against nginx.</summary>
public sealed class RewriteHeadersDifferentialTests : IClassFixture<RewriteHeadersDifferentialTests.Fixture>
{
    public sealed class Fixture : DifferentialFixture
    {
        protected override string Config => """
            events {}
            http {
                default_type application/octet-stream;
                add_header X-Http-Level http;
                server {
                    listen {{LISTEN}};
                    server_name rw.test;
                    root {{ROOT}};
                    add_header X-Frame-Options "SAMEORIGIN" always;
                    add_header X-Content-Type-Options "nosniff";

                    if ($request_method !~ ^(GET|POST|HEAD|OPTIONS)$ ) {
                        return 405;
                    }

                    location /nginx-health {
                        return 200 "OK\n";
                        add_header Content-Type text/plain;
                    }
                    location = /text.json { return 200 '{"ok":true}'; }
                    location /created { return 201 "made it"; }
                    location /empty { return 204; }
                    location /r301 { return 301 /target?x=1; }
                    location /r302 { return http://example.org/abs; }
                    location /r307 { return 307 $scheme://$host/other$is_args$args; }
                    location /gone { return 410; }
                    location /teapot { return 418; }
                    location /old/ { rewrite ^/old/(.*)$ /new/$1 permanent; }
                    location /tmp/ { rewrite ^/tmp/(.*)$ /new/$1 redirect; }
                    location /last/ { rewrite ^/last/(.*)$ /landing/$1? last; }
                    location /brk/ { rewrite ^ /landing/file.txt break; root {{ROOT}}; }
                    location /landing/ { add_header X-Landed yes; return 200 "landed $uri args=$args\n"; }
                    location /set {
                        set $who "user-$arg_name";
                        return 200 "hello $who\n";
                    }
                    location /cond {
                        if ($arg_mode = "teapot") { return 418 "short and stout\n"; }
                        if ($http_x_test ~* ^(?<word>[a-z]+)-(\d+)$) { return 200 "word=$word num=$2\n"; }
                        return 200 "plain\n";
                    }
                    location /private {
                        allow 10.0.0.0/8;
                        deny all;
                    }
                    location /local {
                        allow 127.0.0.1;
                        deny all;
                        return 200 "local ok\n";
                    }
                    location /errors {
                        error_page 404 = /landing/fallback;
                        error_page 403 http://example.org/forbidden;
                        location /errors/forbidden { deny all; }
                    }
                    location /always {
                        add_header X-Only-Here 1 always;
                        return 404;
                    }
                    location /inherit {
                        return 200 "server headers apply\n";
                    }
                }
            }
            """;

        protected override IDictionary<string, string> Files => new Dictionary<string, string>
        {
            ["landing/file.txt"] = "break served this file\n",
        };
    }

    private readonly DifferentialRig _rig;
    private readonly ITestOutputHelper _output;

    public RewriteHeadersDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _rig = fixture.Rig;
        _output = output;
    }

    [Theory]
    [InlineData("GET", "/nginx-health", null)]
    [InlineData("GET", "/text.json", null)]
    [InlineData("GET", "/created", null)]
    [InlineData("GET", "/empty", null)]
    [InlineData("GET", "/r301", null)]
    [InlineData("GET", "/r302", null)]
    [InlineData("GET", "/r307?a=b", null)]
    [InlineData("GET", "/gone", null)]
    [InlineData("GET", "/teapot", null)]
    [InlineData("GET", "/old/path/x?q=1", null)]
    [InlineData("GET", "/tmp/x", null)]
    [InlineData("GET", "/last/abc?dropped=1", null)]
    [InlineData("GET", "/brk/anything", null)]
    [InlineData("GET", "/set?name=ann", null)]
    [InlineData("GET", "/cond?mode=teapot", null)]
    [InlineData("GET", "/cond", "abc-42")]
    [InlineData("GET", "/cond", "ABC-7")]
    [InlineData("GET", "/cond", "nope")]
    [InlineData("GET", "/private", null)]
    [InlineData("GET", "/local", null)]
    [InlineData("GET", "/errors/missing", null)]
    [InlineData("GET", "/errors/forbidden", null)]
    [InlineData("GET", "/always", null)]
    [InlineData("GET", "/inherit", null)]
    [InlineData("DELETE", "/inherit", null)]
    [InlineData("PUT", "/nginx-health", null)]
    [InlineData("HEAD", "/nginx-health", null)]
    [InlineData("OPTIONS", "/inherit", null)]
    public async Task Matches_nginx(string method, string path, string? testHeader)
    {
        var (nginx, sluice) = await _rig.SendAsync(path, r =>
        {
            r.Method = new HttpMethod(method);
            if (testHeader is not null)
            {
                r.Headers.TryAddWithoutValidation("X-Test", testHeader);
            }
        });
        DifferentialAssert.Same(nginx, sluice, _output);
    }
}
