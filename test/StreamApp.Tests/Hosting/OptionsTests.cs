namespace StreamApp.Tests.Hosting;

public sealed class OptionsTests
{
    [Fact]
    public void Defaults_are_the_guides()
    {
        var options = StreamAppOptions.FromEnvironment(_ => null);
        Assert.Equal(Environment.MachineName, options.InstanceId);
        Assert.Null(options.RedisUrl);
        Assert.Equal(8000, options.Port);
        Assert.Equal("127.0.0.1", options.Bind);
        Assert.Equal(TimeSpan.FromSeconds(5), options.HealthCheckInterval);
        Assert.Equal(TimeSpan.FromSeconds(15), options.Heartbeat);
    }

    [Fact]
    public void Reads_every_variable()
    {
        var environment = new Dictionary<string, string>
        {
            ["INSTANCE_ID"] = "app-1",
            ["REDIS_URL"] = "redis://redis:6379",
            ["PORT"] = "8001",
            ["BIND"] = "0.0.0.0",
            ["HEALTH_CHECK_INTERVAL_MS"] = "750",
            ["REDIS_TIMEOUT_MS"] = "300",
            ["HEARTBEAT_SECONDS"] = "2.5",
            ["STREAM_MAX_LENGTH"] = "100",
            ["STREAM_POLL_MS"] = "200",
        };
        var options = StreamAppOptions.FromEnvironment(name => environment.GetValueOrDefault(name));
        Assert.Equal("app-1", options.InstanceId);
        Assert.Equal("redis://redis:6379", options.RedisUrl);
        Assert.Equal(8001, options.Port);
        Assert.Equal("0.0.0.0", options.Bind);
        Assert.Equal(TimeSpan.FromMilliseconds(750), options.HealthCheckInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(300), options.RedisTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.Heartbeat);
        Assert.Equal(100, options.StreamMaxLength);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.StreamPollInterval);
    }

    [Theory]
    [InlineData("PORT", "eighty")]
    [InlineData("PORT", "70000")]
    [InlineData("BIND", "not-an-address")]
    [InlineData("REDIS_URL", "redis:6379")]
    [InlineData("HEARTBEAT_SECONDS", "0")]
    [InlineData("HEALTH_CHECK_INTERVAL_MS", "-1")]
    public void A_bad_value_is_an_error_naming_the_variable(string name, string value)
    {
        var error = Assert.Throws<FormatException>(() => StreamAppOptions.FromEnvironment(n => n == name ? value : null));
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shared_store_and_a_Redis_url_exclude_each_other()
    {
        await using var store = new StreamApp.Store.InMemoryEventStore(10, TimeProvider.System);
        var options = new StreamAppOptions { RedisUrl = "redis://127.0.0.1:6379", EventStore = store };
        Assert.Throws<FormatException>(options.Validate);
    }
}
