namespace StreamApp.Tests.Infrastructure;

/// <summary>One redis-server for the tests that only read and write it (each uses its own channels).</summary>
public sealed class SharedRedis : IAsyncLifetime
{
    private RedisServer? _server;

    public RedisServer Server => _server ?? throw new InvalidOperationException("not started");

    public string Url => Server.Url;

    public async Task InitializeAsync() => _server = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SharedRedisGroup : ICollectionFixture<SharedRedis>
{
    public const string Name = "shared redis";
}
