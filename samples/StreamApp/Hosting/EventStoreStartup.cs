using Microsoft.Extensions.Hosting;
using StreamApp.Store;

namespace StreamApp.Hosting;

/// <summary>Connects the store (Redis, its doorbell subscription) before Kestrel accepts the first request.</summary>
internal sealed class EventStoreStartup(IEventStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.StartAsync(cancellationToken);

    // The store is a singleton: the container disposes it (and then the Redis connection) when the host is disposed.
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
