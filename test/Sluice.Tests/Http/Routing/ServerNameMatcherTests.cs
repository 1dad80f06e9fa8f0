using System.Text.RegularExpressions;
using Sluice.Http.Routing;

namespace Sluice.Tests.Http.Routing;

public sealed class ServerNameMatcherTests
{
    private static readonly ServerNameMatcher<string> Matcher = new(
    [
        ("example.com", null, "exact"),
        ("*.example.com", null, "star-example"),
        ("*.api.example.com", null, "star-api"),
        (".example.org", null, "dot-org"),
        ("www.example.*", null, "tail"),
        ("", null, "empty"),
        ("^(?<sub>\\w+)\\.example\\.net$", new Regex("^(?<sub>\\w+)\\.example\\.net$"), "regex"),
    ], "default");

    [Theory]
    [InlineData("example.com", "exact")]
    [InlineData("a.example.com", "star-example")]
    [InlineData("x.api.example.com", "star-api")]
    [InlineData("example.org", "dot-org")]
    [InlineData("a.b.example.org", "dot-org")]
    [InlineData("www.example.net", "tail")]
    [InlineData("shop.example.net", "regex")]
    [InlineData("", "empty")]
    [InlineData("unknown.test", "default")]
    public void Chooses_like_nginx(string host, string expected) => Assert.Equal(expected, Matcher.Find(host, out _, out _));

    [Theory]
    [InlineData("Example.COM", "example.com")]
    [InlineData("example.com:8080", "example.com")]
    [InlineData("example.com.", "example.com")]
    [InlineData("[::1]:80", "[::1]")]
    [InlineData("a\\b", "a\\b")]
    public void Validates_host(string host, string expected) => Assert.Equal(expected, HostHeader.ValidateHost(host));

    [Theory]
    [InlineData("a..b")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData(":80")]
    [InlineData(".")]
    public void Rejects_invalid_hosts(string host) => Assert.Null(HostHeader.ValidateHost(host));
}
