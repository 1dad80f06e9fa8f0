using StackExchange.Redis;

namespace StreamApp.Store;

/// <summary>
/// The one multiplexer an instance shares between the event store, the pub/sub doorbell and the health check.
/// Connecting happens when the application starts (not when it is built), and never fails: with
/// AbortOnConnectFail off, an unreachable Redis gives a multiplexer that keeps reconnecting in the background.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    private readonly ConfigurationOptions _configuration;
    private readonly Lock _gate = new();
    private Task<ConnectionMultiplexer>? _connecting;

    public RedisConnection(RedisUrl url, TimeSpan timeout, string clientName)
    {
        Url = url;
        _configuration = url.ToConfiguration(timeout, clientName);
    }

    public RedisUrl Url { get; }

    /// <summary>The multiplexer, connecting on first use.</summary>
    public Task<ConnectionMultiplexer> GetAsync()
    {
        lock (_gate)
        {
            return _connecting ??= ConnectionMultiplexer.ConnectAsync(_configuration);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<ConnectionMultiplexer>? connecting;
        lock (_gate)
        {
            connecting = _connecting;
        }

        if (connecting is null)
        {
            return;
        }

        ConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await connecting;
        }
        catch (RedisException)
        {
            return; // never connected: nothing to close
        }

        await multiplexer.CloseAsync(allowCommandsToComplete: false);
        await multiplexer.DisposeAsync();
    }
}
