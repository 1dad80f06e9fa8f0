using StreamApp.Store;

namespace StreamApp.Tests.Store;

public sealed class RedisUrlTests
{
    [Fact]
    public void Reads_the_guides_url() => Assert.Equal(new RedisUrl("redis", 6379, 0, null, null, false), RedisUrl.Parse("redis://redis:6379"));

    [Fact]
    public void Reads_port_database_credentials_and_tls()
    {
        Assert.Equal(new RedisUrl("127.0.0.1", 7000, 3, null, null, false), RedisUrl.Parse("redis://127.0.0.1:7000/3"));
        Assert.Equal(new RedisUrl("cache", 6379, 0, "app", "p@ss", true), RedisUrl.Parse("rediss://app:p%40ss@cache"));
        Assert.Equal(new RedisUrl("cache", 6379, 0, null, "secret", false), RedisUrl.Parse("redis://:secret@cache/"));
        Assert.Equal(new RedisUrl("cache", 6379, 0, null, "secret", false), RedisUrl.Parse("redis://secret@cache"));
        Assert.Equal(new RedisUrl("::1", 6380, 0, null, null, false), RedisUrl.Parse("redis://[::1]:6380"));
        Assert.Equal("[::1]:6380", RedisUrl.Parse("redis://[::1]:6380").Endpoint);
    }

    [Theory]
    [InlineData("redis:6379")]
    [InlineData("http://redis:6379")]
    [InlineData("redis://redis:6379/db")]
    [InlineData("localhost:6379")]
    public void Rejects_what_is_not_a_redis_url(string text) => Assert.Throws<FormatException>(() => RedisUrl.Parse(text));

    [Fact]
    public void Never_shows_the_password()
    {
        var url = RedisUrl.Parse("redis://app:hunter2@cache:6379/1");
        Assert.DoesNotContain("hunter2", url.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", url.Endpoint, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", new StreamAppOptions { RedisUrl = "redis://app:hunter2@cache:6379/1" }.ToString(), StringComparison.Ordinal);
        var configuration = url.ToConfiguration(TimeSpan.FromSeconds(1), "client");
        Assert.False(configuration.AbortOnConnectFail);
        Assert.Equal(1, configuration.DefaultDatabase);
        Assert.Equal("hunter2", configuration.Password);
    }
}
