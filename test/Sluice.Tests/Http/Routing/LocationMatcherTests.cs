using System.Text.RegularExpressions;
using Sluice.Http.Configuration;
using Sluice.Http.Routing;

namespace Sluice.Tests.Http.Routing;

public sealed class LocationMatcherTests
{
    private sealed class Loc : ILocationNode<Loc>
    {
        public Loc(string name, LocationKind kind, bool autoRedirect = false, bool caseless = false, params Loc[] nested)
        {
            Name = name;
            Kind = kind;
            AutoRedirect = autoRedirect;
            Regex = kind == LocationKind.Regex ? new Regex(name, caseless ? RegexOptions.IgnoreCase : RegexOptions.None) : null;
            Nested = nested.Length == 0 ? null : new LocationMatcher<Loc>(nested);
        }

        public string Name { get; }

        public LocationKind Kind { get; }

        public Regex? Regex { get; }

        public bool AutoRedirect { get; }

        public LocationMatcher<Loc>? Nested { get; }

        public override string ToString() => $"{Kind} {Name}";
    }

    private static string? Find(LocationMatcher<Loc> matcher, string uri)
    {
        var match = matcher.Find(uri);
        return match.Kind switch
        {
            LocationMatchKind.None => null,
            LocationMatchKind.AutoRedirect => "301 " + match.Location!.Name,
            _ => match.Location!.ToString(),
        };
    }

    /// <summary>The example of nginx's documentation for the location directive.</summary>
    [Theory]
    [InlineData("/", "Exact /")]
    [InlineData("/index.html", "Prefix /")]
    [InlineData("/documents/document.html", "Prefix /documents/")]
    [InlineData("/images/1.gif", "PrefixNoRegex /images/")]
    [InlineData("/documents/1.jpg", "Regex \\.(gif|jpg|jpeg)$")]
    [InlineData("/x/1.JPG", "Regex \\.(gif|jpg|jpeg)$")]
    public void Follows_the_documented_precedence(string uri, string expected)
    {
        var matcher = new LocationMatcher<Loc>(
        [
            new Loc("/", LocationKind.Exact),
            new Loc("/", LocationKind.Prefix),
            new Loc("/documents/", LocationKind.Prefix),
            new Loc("/images/", LocationKind.PrefixNoRegex),
            new Loc("\\.(gif|jpg|jpeg)$", LocationKind.Regex, caseless: true),
        ]);
        Assert.Equal(expected, Find(matcher, uri));
    }

    [Fact]
    public void First_matching_regex_in_order_wins_over_the_longest_prefix()
    {
        var matcher = new LocationMatcher<Loc>(
        [
            new Loc("/api/v1/", LocationKind.Prefix),
            new Loc("^/api", LocationKind.Regex),
            new Loc("v1", LocationKind.Regex),
        ]);
        Assert.Equal("Regex ^/api", Find(matcher, "/api/v1/users"));
        Assert.Equal("Prefix /api/v1/", new LocationMatcher<Loc>([new Loc("/api/v1/", LocationKind.Prefix)]).Find("/api/v1/x").Location!.ToString());
    }

    [Fact]
    public void Nested_locations_refine_the_prefix_and_a_nested_regex_beats_outer_regexes()
    {
        var matcher = new LocationMatcher<Loc>(
        [
            new Loc("/app/", LocationKind.Prefix, nested:
            [
                new Loc("/app/static/", LocationKind.Prefix),
                new Loc("\\.php$", LocationKind.Regex),
            ]),
            new Loc("\\.(php|css)$", LocationKind.Regex),
        ]);
        Assert.Equal("Regex \\.php$", Find(matcher, "/app/x.php"));
        Assert.Equal("Regex \\.(php|css)$", Find(matcher, "/app/static/a.css"));
        Assert.Equal("Prefix /app/static/", Find(matcher, "/app/static/a.js"));
        Assert.Equal("Regex \\.(php|css)$", Find(matcher, "/other.css"));
        Assert.Null(Find(matcher, "/other.js"));
    }

    [Fact]
    public void A_proxied_prefix_redirects_the_uri_without_its_slash_before_regexes()
    {
        var matcher = new LocationMatcher<Loc>(
        [
            new Loc("/", LocationKind.Prefix),
            new Loc("/api/", LocationKind.Prefix, autoRedirect: true),
            new Loc("api", LocationKind.Regex),
        ]);
        Assert.Equal("301 /api/", Find(matcher, "/api"));
        Assert.Equal("Regex api", Find(matcher, "/api/x"));

        var withExact = new LocationMatcher<Loc>([new Loc("/api/", LocationKind.Prefix, autoRedirect: true), new Loc("/api", LocationKind.Prefix)]);
        Assert.Equal("Prefix /api", Find(withExact, "/api"));
    }

    [Fact]
    public void Regex_captures_are_returned()
    {
        var matcher = new LocationMatcher<Loc>([new Loc("^/user/(\\d+)$", LocationKind.Regex)]);
        var match = matcher.Find("/user/42");
        Assert.Equal("42", match.RegexMatch!.Groups[1].Value);
    }
}
