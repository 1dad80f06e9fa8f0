using Sluice.Map;
using Sluice.Tests.Configuration;

namespace Sluice.Tests.Map;

public sealed class MapDirectivesTests
{
    [Theory]
    [InlineData("map $uri $m {\n    a { b; }\n}", "unexpected \"{\" in F:4")]
    [InlineData("map $uri $m { a b c; }", "invalid number of the map parameters in F:3")]
    [InlineData("map $uri $m { include; }", "invalid number of the map parameters in F:3")]
    [InlineData("map $uri $m { default 1;\ndefault 2; }", "duplicate default map parameter in F:4")]
    [InlineData("map $uri $m { Foo 1;\nfOO 2; }", "conflicting parameter \"foo\" in F:4")]
    [InlineData("map $uri $m { \\default 1;\n\\Default 2; }", "conflicting parameter \"default\" in F:4")]
    [InlineData("map $uri $m { hostnames;\n.Example.com 1;\n*.EXAMPLE.com 2; }", "conflicting parameter \"*.example.com\" in F:5")]
    [InlineData("map $uri $m { hostnames;\nexample.com 1;\n.example.com 2; }", "conflicting parameter \".example.com\" in F:5")]
    [InlineData("map $uri $m { hostnames;\n.example.com 1;\nEXAMPLE.com 2; }", "conflicting parameter \"example.com\" in F:5")]
    [InlineData("map $uri $m { hostnames;\nwww.ex.* 1;\nwww.EX.* 2; }", "conflicting parameter \"www.ex.*\" in F:5")]
    [InlineData("map $uri $m { hostnames;\n*.ex.* 1; }", "invalid hostname or wildcard \"*.ex.*\" in F:4")]
    [InlineData("map $uri $m { hostnames;\na..b 1; }", "invalid hostname or wildcard \"a..b\" in F:4")]
    [InlineData("map $uri $m { hostnames;\nw*w 1; }", "invalid hostname or wildcard \"w*w\" in F:4")]
    [InlineData("map $uri $m { \"~^/(a\" 1; }", "pcre2_compile() failed: missing closing parenthesis in \"^/(a\" in F:3")]
    [InlineData("map $uri $m { a $; }", "invalid variable name in F:3")]
    [InlineData("map $uri $m { a $undefined; }", "unknown \"undefined\" variable")]
    [InlineData("map $uri m { }", "invalid variable name \"m\" in F:3")]
    [InlineData("map $uri $ { }", "invalid variable name \"$\" in F:3")]
    [InlineData("map $uri $Host { }", "the duplicate \"Host\" variable in F:3")]
    [InlineData("map $uri $m { ~(?<uri>.) 1; }", "the duplicate \"uri\" variable in F:3")]
    [InlineData("map $uri $m { }\nmap_hash_bucket_size 128;", "\"map_hash_bucket_size\" directive is duplicate in F:4")]
    [InlineData("map_hash_max_size 0;\nmap $uri $m { a 1; }", "could not build map_hash, you should increase map_hash_max_size: 0")]
    [InlineData("map $uri $m { aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1; }", "could not build map_hash, you should increase map_hash_bucket_size: 64")]
    [InlineData("server { map $uri $m { } }", "\"map\" directive is not allowed here in F:3")]
    public void Map_errors_are_nginx_s(string body, string expected) =>
        Assert.Equal(expected, ConfigTestHelper.LoadHttp(body).FirstError());

    [Fact]
    public void Values_and_regexes_in_included_files_report_the_include_line()
    {
        var result = ConfigTestHelper.Load(
            "events {}\nhttp {\n    map $uri $m {\n        a 1;\n        include keys.map;\n    }\n}\n",
            ("keys.map", "b 2;\ninclude more.map;\n"),
            ("more.map", "c $;\n"));

        Assert.Equal("invalid variable name in F:5", result.FirstError());
    }

    [Fact]
    public void Other_errors_in_included_files_report_their_own_line()
    {
        var result = ConfigTestHelper.Load(
            "events {}\nhttp {\n    map $uri $m {\n        include keys.map;\n    }\n}\n",
            ("keys.map", "b 2;\nb 3;\n"));

        Assert.Equal($"conflicting parameter \"b\" in {ConfigTestHelper.Prefix}conf/keys.map:2", result.FirstError());
    }

    [Fact]
    public void A_longer_bucket_size_admits_long_keys_and_a_small_hash_only_warns()
    {
        Assert.Empty(ConfigTestHelper.LoadHttp("map_hash_bucket_size 100;\nmap $uri $m { aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1; }").RealErrors());

        var result = ConfigTestHelper.LoadHttp("map_hash_max_size 1;\nmap $uri $m { a 1; b 2; c 3; d 4; }");
        Assert.Equal(
            ["could not build optimal map_hash, you should increase either map_hash_max_size: 1 or map_hash_bucket_size: 64; ignoring map_hash_bucket_size"],
            result.Warnings());
    }

    [Fact]
    public void Map_compiles_every_kind_of_entry()
    {
        var compiler = ConfigTestHelper.LoadHttp(
            """
            map $http_host $tenant {
                hostnames;
                volatile;
                default         $host;
                Example.COM     exact;
                \~tilde         escaped;
                .example.org    org;
                *.example.net   net;
                www.example.*   www;
                ~*^api\.(?<zone>[a-z]+)   api-$zone;
                ~^static        static;
            }
            """).Compiler();

        var map = Assert.Single(compiler.State<MapConfState>().Maps);
        Assert.Equal("tenant", map.Variable);
        Assert.Equal("$http_host", map.Source.Source);
        Assert.True(map.Hostnames);
        Assert.True(map.Volatile);
        Assert.Equal("$host", map.Default!.Source);
        Assert.Equal(["example.com", "~tilde"], map.Exact.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([("example.org", true, "org"), ("example.net", false, "net")], map.LeadingWildcards.Select(w => (w.Domain, w.MatchesDomainItself, w.Value.Source)));
        Assert.Equal([("www.example.", "www")], map.TrailingWildcards.Select(w => (w.Prefix, w.Value.Source)));
        Assert.Equal(2, map.Regexes.Length);
        Assert.Matches(map.Regexes[0].Regex, "API.eu");
        Assert.DoesNotMatch(map.Regexes[1].Regex, "STATIC");
        Assert.True(compiler.State<Sluice.Http.Configuration.HttpConfState>().Variables.IsDefined("zone"));
    }

    [Fact]
    public void Map_variables_can_be_used_anywhere_in_http()
    {
        var result = ConfigTestHelper.LoadHttp("log_format m '$tier';\nmap $http_x_api_key $tier { default free; }");

        Assert.Empty(result.RealErrors());
    }
}
