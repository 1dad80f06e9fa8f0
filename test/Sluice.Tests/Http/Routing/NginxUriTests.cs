using Sluice.Http.Routing;

namespace Sluice.Tests.Http.Routing;

public sealed class NginxUriTests
{
    [Theory]
    [InlineData("/", "/", null)]
    [InlineData("/a/b", "/a/b", null)]
    [InlineData("/a//b///c", "/a/b/c", null)]
    [InlineData("/a/./b", "/a/b", null)]
    [InlineData("/a/b/../c", "/a/c", null)]
    [InlineData("/a/b/..", "/a/", null)]
    [InlineData("/a/.", "/a/", null)]
    [InlineData("/a%2Fb", "/a/b", null)]
    [InlineData("/a/%2e%2e/b", "/b", null)]
    [InlineData("/a%20b", "/a b", null)]
    [InlineData("/a%25b", "/a%b", null)]
    [InlineData("/a%3Fb?x=1", "/a?b", "x=1")]
    [InlineData("/p?q=1&r=%2F", "/p", "q=1&r=%2F")]
    [InlineData("/p?q#frag", "/p", "q")]
    [InlineData("/p#frag?x", "/p", null)]
    [InlineData("/caf%C3%A9", "/café", null)]
    [InlineData("/.hidden", "/.hidden", null)]
    [InlineData("/a/..b", "/a/..b", null)]
    public void Normalizes_like_nginx(string target, string path, string? args)
    {
        Assert.True(NginxUri.TryParse(target, mergeSlashes: true, out var parsed));
        Assert.Equal(path, parsed.Path);
        Assert.Equal(args, parsed.Args);
    }

    [Theory]
    [InlineData("/..")]
    [InlineData("/../a")]
    [InlineData("/a/../../b")]
    [InlineData("/%zz")]
    [InlineData("/%4")]
    [InlineData("/a%00b")]
    [InlineData("relative")]
    public void Rejects_what_nginx_answers_with_400(string target) =>
        Assert.False(NginxUri.TryParse(target, mergeSlashes: true, out _));

    [Fact]
    public void Merge_slashes_off_keeps_them() =>
        Assert.Equal("/a//b", NginxUri.TryParse("/a//b", mergeSlashes: false, out var p) ? p.Path : null);

    [Fact]
    public void Extension_is_after_the_last_dot_of_the_last_segment()
    {
        Assert.Equal("html", new ParsedUri("/a.b/index.html", null).Extension);
        Assert.Equal("", new ParsedUri("/a.b/index", null).Extension);
    }
}
