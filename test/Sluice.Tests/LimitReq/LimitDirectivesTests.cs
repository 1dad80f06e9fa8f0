using Sluice.Core;
using Sluice.Http.Configuration;
using Sluice.LimitConn;
using Sluice.LimitReq;
using Sluice.Tests.Configuration;

namespace Sluice.Tests.LimitReq;

public sealed class LimitDirectivesTests
{
    [Theory]
    [InlineData("limit_req_zone $binary_remote_addr zone=api rate=1r/s;", "invalid zone size \"zone=api\" in F:3")]
    [InlineData("limit_req_zone $binary_remote_addr zone=api:10x rate=1r/s;", "invalid zone size \"zone=api:10x\" in F:3")]
    [InlineData("limit_req_zone $binary_remote_addr zone=api:16k rate=1r/s;", "zone \"zone=api:16k\" is too small in F:3")]
    [InlineData("limit_req_zone $binary_remote_addr zone=api:10m rate=100/s;", "invalid rate \"rate=100/s\" in F:3")]
    [InlineData("limit_req_zone $binary_remote_addr zone=api:10m rate=0r/m;", "invalid rate \"rate=0r/m\" in F:3")]
    [InlineData("limit_req_zone $binary_remote_addr zone=api:10m burst=5;", "invalid parameter \"burst=5\" in F:3")]
    [InlineData("limit_req_zone $binary_remote_addr rate=1r/s zone=:10m;", "\"limit_req_zone\" must have \"zone\" parameter in F:3")]
    [InlineData("limit_req_zone $binary_remote_addr zone=api:10m;", "invalid number of arguments in \"limit_req_zone\" directive in F:3")]
    [InlineData("limit_req_zone $a zone=api:10m rate=1r/s;\nlimit_req_zone $b zone=api:10m rate=1r/s;", "limit_req_zone \"api\" is already bound to key \"$a\" in F:4")]
    [InlineData("limit_req_zone $uri zone=api:10m rate=1r/s;\nlimit_req_zone $uri zone=api:20m rate=1r/s;", "the size 20971520 of shared memory zone \"api\" conflicts with already declared size 10485760 in F:4")]
    [InlineData("limit_req_zone $uri zone=api:10m rate=1r/s;\nlimit_conn_zone $uri zone=api:10m;", "the shared memory zone \"api\" is already declared for a different use in F:4")]
    [InlineData("server { limit_req_zone $uri zone=api:10m rate=1r/s; }", "\"limit_req_zone\" directive is not allowed here in F:3")]
    [InlineData("limit_req burst=5;", "\"limit_req\" must have \"zone\" parameter in F:3")]
    [InlineData("limit_req zone=api burst=0;", "invalid burst value \"burst=0\" in F:3")]
    [InlineData("limit_req zone=api delay=x;", "invalid delay value \"delay=x\" in F:3")]
    [InlineData("limit_req zone=api fast;", "invalid parameter \"fast\" in F:3")]
    [InlineData("limit_req zone=api;\nlimit_req zone=api burst=5;", "\"limit_req\" directive is duplicate in F:4")]
    [InlineData("limit_req_status 302;", "value must be between 400 and 599 in F:3")]
    [InlineData("limit_req_log_level debug;", "invalid value \"debug\" in F:3")]
    [InlineData("limit_req_dry_run yes;", "invalid value \"yes\" in \"limit_req_dry_run\" directive, it must be \"on\" or \"off\" in F:3")]
    [InlineData("limit_conn_zone $uri size=10m;", "invalid parameter \"size=10m\" in F:3")]
    [InlineData("limit_conn_zone $uri zone=c:10m;\nlimit_conn_zone $host zone=c:10m;", "limit_conn_zone \"c\" is already bound to key \"$uri\" in F:4")]
    [InlineData("limit_conn c 0;", "invalid number of connections \"0\" in F:3")]
    [InlineData("limit_conn c 65536;", "connection limit must be less 65536 in F:3")]
    [InlineData("limit_conn c 1;\nlimit_conn c 2;", "\"limit_conn\" directive is duplicate in F:4")]
    [InlineData("limit_conn_status 600;", "value must be between 400 and 599 in F:3")]
    [InlineData("limit_req_zone $undefined zone=api:10m rate=1r/s;", "unknown \"undefined\" variable")]
    public void Limit_errors_are_nginx_s(string body, string expected) =>
        Assert.Equal(expected, ConfigTestHelper.LoadHttp(body).FirstError());

    [Fact]
    public void Zones_and_rules_are_compiled()
    {
        var compiler = ConfigTestHelper.LoadHttp(
            """
            limit_req zone=later burst=5;
            limit_req_zone $binary_remote_addr zone=api:10m rate=100r/s;
            limit_req_zone $http_x_api_key zone=later:1m rate=10r/m;
            limit_conn_zone $binary_remote_addr zone=perip:10m;
            limit_req_status 429;
            limit_req_log_level warn;
            server {
                limit_req zone=api burst=20 nodelay;
                limit_req zone=later delay=3 burst=10;
                limit_conn perip 10;
                limit_conn_dry_run on;
                location / { }
            }
            """).Compiler();

        var zones = compiler.State<SharedZoneRegistry>().Zones;
        Assert.Equal(["later", "api", "perip"], zones.Select(z => z.Name));
        Assert.Equal(new LimitReqZone("api", ((LimitReqZone)zones[1].Data!).Key, 10 * 1024 * 1024, 100_000), zones[1].Data);
        Assert.Equal(166, ((LimitReqZone)zones[0].Data!).Rate);
        Assert.Equal(("perip", "$binary_remote_addr"), (((LimitConnZone)zones[2].Data!).Name, ((LimitConnZone)zones[2].Data!).Key.Source));

        var state = compiler.State<HttpConfState>();
        var location = state.Servers[0].Locations[0].Scope;
        Assert.Equal([("api", 20L, (long?)null), ("later", 10L, 3L)], location.GetList(LimitReqSettings.Rules).Select(r => (r.Zone.Name, r.Burst, r.Delay)));
        Assert.Equal([("later", 5L, (long?)0)], state.Http!.GetList(LimitReqSettings.Rules).Select(r => (r.Zone.Name, r.Burst, r.Delay)));
        Assert.Equal(("perip", 10), location.GetList(LimitConnSettings.Rules).Select(r => (r.Zone.Name, r.Connections)).Single());
        Assert.Equal((429L, LogLevel.Warn, false), (location.Get(LimitReqSettings.Status), location.Get(LimitReqSettings.LogLevel), location.Get(LimitReqSettings.DryRun)));
        Assert.Equal((503L, LogLevel.Error, true), (location.Get(LimitConnSettings.Status), location.Get(LimitConnSettings.LogLevel), location.Get(LimitConnSettings.DryRun)));
    }

    [Fact]
    public void A_zone_that_is_only_referenced_is_left_without_size()
    {
        var compiler = ConfigTestHelper.LoadHttp("server { location / { limit_req zone=$rate_limit_tier burst=50; } }").Compiler();

        var zone = Assert.Single(compiler.State<SharedZoneRegistry>().Zones);
        Assert.Equal(("$rate_limit_tier", 0L), (zone.Name, zone.Size));
        var error = Assert.Throws<Sluice.Configuration.ConfigException>(compiler.State<SharedZoneRegistry>().CheckSizes);
        Assert.Equal("zero size shared memory zone \"$rate_limit_tier\"", error.Render());
    }
}
