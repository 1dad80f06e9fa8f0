using Sluice.FunctionalTests.Infrastructure;

namespace Sluice.FunctionalTests.Http;

/// <summary>
/// The guide's "Minimal HTTP Load Balancer" template (section 10.2), as printed, with only the backend
/// hosts and the listen port pointed at loopback: Sluice runs it and answers as nginx does — same backends in
/// the same order (least_conn with nothing in flight is round robin), same headers at the backend.
/// </summary>
public sealed class SeedTemplateTests : IClassFixture<SeedTemplateTests.Fixture>
{
    /// <summary>Verbatim from the guide (section 10.2, "Minimal HTTP Load Balancer").</summary>
    private const string MinimalHttpLoadBalancer = """
        events {
            worker_connections 1024;
        }

        http {
            upstream backend {
                least_conn;
                server app-1:8000;
                server app-2:8000;
                server app-3:8000;
            }
            
            server {
                listen 80;
                
                location / {
                    proxy_pass http://backend;
                    proxy_set_header Host $host;
                    proxy_set_header X-Real-IP $remote_addr;
                }
            }
        }
        """;

    private readonly DifferentialRig _rig;

    public SeedTemplateTests(Fixture fixture) => _rig = fixture.Rig;

    public sealed class Fixture : DifferentialFixture
    {
        protected override int Backends => 3;

        protected override string Config => MinimalHttpLoadBalancer
            .Replace("app-1:8000", "{{B1}}", StringComparison.Ordinal)
            .Replace("app-2:8000", "{{B2}}", StringComparison.Ordinal)
            .Replace("app-3:8000", "{{B3}}", StringComparison.Ordinal)
            .Replace("listen 80;", "listen {{LISTEN}};", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Minimal_http_load_balancer_runs_unchanged()
    {
        var seen = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var (nginx, sluice) = await _rig.SendAsync($"/api/items/{i}?page={i}", m => m.Headers.Host = "shop.example.com");
            Assert.Equal(nginx.Status, sluice.Status);
            Assert.Equal(nginx.Header("x-backend"), sluice.Header("x-backend"));
            var atNginx = BackendEcho.Parse(nginx.Body)!;
            var atSluice = BackendEcho.Parse(sluice.Body)!;
            Assert.Equal(atNginx.Uri, atSluice.Uri);
            Assert.Equal("shop.example.com", atSluice.Headers["host"]);
            Assert.Equal(atNginx.Headers["x-real-ip"], atSluice.Headers["x-real-ip"]);
            Assert.Equal(atNginx.Headers.Keys.Order(), atSluice.Headers.Keys.Order());
            seen.Add(sluice.Header("x-backend")!);
        }

        Assert.Equal(["b1", "b2", "b3"], seen.Distinct().Order());
    }
}
