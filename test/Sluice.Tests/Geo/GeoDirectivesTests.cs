using System.Net;
using Sluice.Configuration.Values;
using Sluice.Geo;
using Sluice.Tests.Configuration;

namespace Sluice.Tests.Geo;

public sealed class GeoDirectivesTests
{
    [Theory]
    [InlineData("geo $g { US yes; }", "invalid network \"US\" in F:3")]
    [InlineData("geo $g { 10.0.0.0/33 yes; }", "invalid network \"10.0.0.0/33\" in F:3")]
    [InlineData("geo $g { 1::2::3 yes; }", "invalid network \"1::2::3\" in F:3")]
    [InlineData("geo $g { proxy unix:; }", "invalid network \"unix:\" in F:3")]
    [InlineData("geo $g { a b c; }", "invalid number of the geo parameters in F:3")]
    [InlineData("geo $g { default; }", "invalid number of the geo parameters in F:3")]
    [InlineData("geo $g { 1.2.3.4 a;\nranges; }", "the \"ranges\" directive must be the first directive inside \"geo\" block in F:4")]
    [InlineData("geo $g { ranges; 1.2.3.4 a; }", "invalid range \"1.2.3.4\" in F:3")]
    [InlineData("geo $g { ranges; 0.0.0.0-255.255.255.255 a; }", "invalid range \"0.0.0.0-255.255.255.255\" in F:3")]
    [InlineData("geo $g { ranges; 1.2.3.5-1.2.3.4 a; }", "invalid range \"1.2.3.5-1.2.3.4\" in F:3")]
    [InlineData("geo $g { ranges; 10.0.0.0-10.0.0.10 a; 10.0.0.11-10.0.0.12 b; 10.0.0.10-10.0.0.11 c; }", "range \"10.0.0.10-10.0.0.11\" overlaps \"10.0.0.11-10.0.0.12\" in F:3")]
    [InlineData("geo $g { 1.2.3.4 a { } }", "unexpected \"{\" in F:3")]
    [InlineData("geo g { }", "invalid variable name \"g\" in F:3")]
    [InlineData("geo $a g { }", "invalid variable name \"g\" in F:3")]
    [InlineData("geo $undefined $g { }", "unknown \"undefined\" variable")]
    [InlineData("geo $remote_addr { }", "the duplicate \"remote_addr\" variable in F:3")]
    public void Geo_errors_are_nginx_s(string body, string expected) =>
        Assert.Equal(expected, ConfigTestHelper.LoadHttp(body).FirstError());

    [Fact]
    public void Network_warnings_report_what_the_radix_tree_held()
    {
        var result = ConfigTestHelper.LoadHttp(
            """
            geo $g {
                default 1;
                default 2;
                10.0.0.1/8 a;
                10.0.0.0/24 c;
                10.0.0.0/8 d;
                delete 11.0.0.0/8;
            }
            """);

        Assert.Equal(
            [
                "duplicate network \"default\", value: \"2\", old value: \"1\" in F:5",
                "duplicate network \"default\", value: \"2\", old value: \"1\" in F:5",
                "low address bits of 10.0.0.1/8 are meaningless in F:6",

                // nginx looks the old value up by address: the more specific /24 answers for 10.0.0.0.
                "duplicate network \"10.0.0.0/8\", value: \"d\", old value: \"c\" in F:8",
                "no network \"11.0.0.0/8\" to delete in F:9",
            ],
            result.Warnings());
    }

    [Fact]
    public void Range_warnings_and_splits_follow_nginx()
    {
        var result = ConfigTestHelper.LoadHttp(
            """
            geo $g {
                ranges;
                default 1;
                default 2;
                10.0.0.1-10.0.0.5 a;
                10.0.0.1-10.0.0.5 b;
                10.0.0.3-10.0.0.4 c;
                delete 10.0.0.0-10.0.0.1;
            }
            """);

        Assert.Equal(
            [
                "duplicate default geo range value: \"2\", old value: \"1\" in F:6",
                "duplicate range \"10.0.0.1-10.0.0.5\", value: \"b\", old value: \"a\" in F:8",
                "no address range \"10.0.0.0-10.0.0.1\" to delete in F:10",
            ],
            result.Warnings());

        var geo = Assert.Single(result.Compiler().State<GeoConfState>().Geos);
        Assert.True(geo.UsesRanges);
        Assert.Equal("2", geo.Default);
        Assert.Equal(
            [new GeoRange(0x0a000001, 0x0a000002, "b"), new GeoRange(0x0a000003, 0x0a000004, "c"), new GeoRange(0x0a000005, 0x0a000005, "b")],
            geo.Ranges.ToArray());
    }

    [Fact]
    public void A_range_across_a_65536_boundary_is_stored_in_pieces()
    {
        var geo = Assert.Single(ConfigTestHelper.LoadHttp("geo $g { ranges; 10.0.255.0-10.1.0.255 x; delete 10.0.255.0-10.1.0.255; }").Compiler().State<GeoConfState>().Geos);

        Assert.Empty(geo.Ranges);
    }

    [Fact]
    public void Networks_proxies_and_source_are_compiled()
    {
        var result = ConfigTestHelper.Load(
            "events {}\nhttp {\n    geo $http_x_real_ip $office {\n        proxy 10.0.0.0/8;\n        proxy_recursive;\n        include offices.geo;\n        ::1 local;\n        255.255.255.255 broadcast;\n    }\n}\n",
            ("offices.geo", "192.168.1.0/24 hq;\n"));

        var geo = Assert.Single(result.Compiler().State<GeoConfState>().Geos);
        Assert.Equal(("office", "http_x_real_ip", true, false, ""), (geo.Variable, geo.SourceVariable, geo.ProxyRecursive, geo.UsesRanges, geo.Default));
        Assert.Equal([new NginxCidr(IPAddress.Parse("10.0.0.0"), 8)], geo.Proxies.ToArray());
        Assert.Equal(
            [
                new GeoNetwork(new NginxCidr(IPAddress.Parse("192.168.1.0"), 24), "hq"),
                new GeoNetwork(new NginxCidr(IPAddress.IPv6Loopback, 128), "local"),
                new GeoNetwork(new NginxCidr(IPAddress.Broadcast, 32), "broadcast"),
            ],
            geo.Networks.ToArray());
    }
}
