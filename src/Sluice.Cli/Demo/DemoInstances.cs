using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using StreamApp;

namespace Sluice.Cli.Demo;

/// <summary>
/// The demo's StreamApp instances (app-1 … app-N), hosted in this process, each on its own loopback port.
/// An instance can be stopped and started again on the same port, so Sluice's configuration stays right.
/// </summary>
internal sealed class DemoInstances : IAsyncDisposable
{
    private readonly DemoStore _store;
    private readonly TimeSpan _heartbeat;
    private readonly List<Instance> _instances = [];
    private readonly SemaphoreSlim _lock = new(1, 1);

    public DemoInstances(DemoStore store, TimeSpan heartbeat)
    {
        _store = store;
        _heartbeat = heartbeat;
    }

    public int Count => _instances.Count;

    public IEnumerable<string> Names => _instances.Select(i => i.Name);

    public IReadOnlyList<int> Ports => [.. _instances.Select(i => i.Port)];

    public async Task StartAllAsync(int count)
    {
        for (var i = 1; i <= count; i++)
        {
            var instance = new Instance($"app-{i}");
            _instances.Add(instance);
            await StartAsync(instance, port: 0).ConfigureAwait(false);
        }
    }

    /// <summary>"app-2 started" or why not.</summary>
    public async Task<string> StartAsync(string name)
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Find(name) is not { } instance)
            {
                return $"no instance {name}";
            }

            if (instance.App is not null)
            {
                return $"{name} is running";
            }

            await StartAsync(instance, instance.Port).ConfigureAwait(false);
            return $"{name} started on port {instance.Port}";
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>"app-2 stopped" or why not.</summary>
    public async Task<string> StopAsync(string name)
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Find(name) is not { App: { } app } instance)
            {
                return Find(name) is null ? $"no instance {name}" : $"{name} is stopped";
            }

            instance.App = null;
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            return $"{name} stopped";
        }
        finally
        {
            _lock.Release();
        }
    }

    public string Status() =>
        string.Join('\n', _instances.Select(i => $"  {i.Name,-7} port {i.Port}  {(i.App is null ? "stopped" : "running")}"));

    private Instance? Find(string name) => _instances.FirstOrDefault(i => i.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    private async Task StartAsync(Instance instance, int port)
    {
        var options = new StreamAppOptions
        {
            InstanceId = instance.Name,
            Port = port,
            RedisUrl = _store.RedisUrl,
            EventStore = _store.Shared,
            Heartbeat = _heartbeat,
        };
        var app = StreamApplication.Build(options, builder => builder.Logging.ClearProviders());
        await app.StartAsync().ConfigureAwait(false);
        instance.Port = new Uri(app.Urls.First()).Port;
        instance.App = app;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            if (instance.App is { } app)
            {
                instance.App = null;
                await app.StopAsync().ConfigureAwait(false);
                await app.DisposeAsync().ConfigureAwait(false);
            }
        }

        _instances.Clear();
    }

    private sealed class Instance(string name)
    {
        public string Name { get; } = name;

        public int Port { get; set; }

        public WebApplication? App { get; set; }
    }
}
