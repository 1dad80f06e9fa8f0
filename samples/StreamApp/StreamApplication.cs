using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using StreamApp.Api;
using StreamApp.Health;
using StreamApp.Hosting;
using StreamApp.Metrics;
using StreamApp.Store;
using StreamApp.Streaming;

namespace StreamApp;

/// <summary>
/// The guide's application tier as a library entry: <c>Program.cs</c> builds one instance from the environment, and
/// another program (the <c>sluice demo</c> command, the tests) can build several in one process, each with its own
/// port, store, health state and metrics registry — nothing is static.
/// </summary>
public static class StreamApplication
{
    /// <summary>Builds an instance; call <c>StartAsync</c> (then read <c>Urls</c> when the port was 0) or <c>RunAsync</c>.</summary>
    /// <param name="options">The instance's settings.</param>
    /// <param name="configure">Last changes to the builder before it is built, e.g. <c>b => b.Logging.ClearProviders()</c>.</param>
    public static WebApplication Build(StreamAppOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        // The content root is the application's own folder, not the current directory of whoever hosts it.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(StreamApplication).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            switch (options.ListenAddress())
            {
                case null when options.Port == 0:
                    kestrel.Listen(IPAddress.Loopback, 0); // Kestrel cannot pick one free port for both loopbacks
                    break;
                case null:
                    kestrel.ListenLocalhost(options.Port);
                    break;
                case var address:
                    kestrel.Listen(address, options.Port);
                    break;
            }
        });

        // SSE handlers end on ApplicationStopping, so shutdown needs only as long as ordinary requests take.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(10));
        // Per-request framework logs would drown the application's own; a failing readiness check is reported by the
        // Redis store when the connection drops, not again on every probe.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);

        AddServices(builder.Services, options);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseMiddleware<InstanceHeaderMiddleware>();
        MapEndpoints(app);

        _ = app.Services.GetRequiredService<InstanceInfo>(); // uptime counts from here
        return app;
    }

    private static void AddServices(IServiceCollection services, StreamAppOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(options.TimeProvider);

        if (options.EventStore is { } shared)
        {
            // Registered as an instance, so the container does not dispose it with this instance: the host owns it.
            services.AddSingleton(shared);
        }
        else if (!string.IsNullOrEmpty(options.RedisUrl))
        {
            var url = RedisUrl.Parse(options.RedisUrl);
            services.AddSingleton(_ => new RedisConnection(url, options.RedisTimeout, "streamapp-" + options.InstanceId));
            services.AddSingleton<IEventStore>(sp => new RedisEventStore(
                sp.GetRequiredService<RedisConnection>(),
                options.StreamMaxLength,
                options.StreamPollInterval,
                options.TimeProvider,
                sp.GetRequiredService<ILogger<RedisEventStore>>()));
        }
        else
        {
            services.AddSingleton<IEventStore>(_ => new InMemoryEventStore(options.StreamMaxLength, options.TimeProvider));
        }

        services.AddSingleton(sp => new InstanceInfo(options.InstanceId, sp.GetRequiredService<IEventStore>().Kind, options.TimeProvider.GetUtcNow()));
        services.AddSingleton<AppMetrics>();
        services.AddSingleton<EventFeed>();
        services.AddSingleton<SseEndpoint>();
        services.AddSingleton<PublishEndpoint>();
        services.AddSingleton<LookupEndpoint>();
        services.AddSingleton<TestingEndpoints>();
        services.AddHostedService<EventStoreStartup>();

        services.AddSingleton(sp => new RedisHealthCheck(sp.GetService<RedisConnection>(), options.HealthCheckInterval, options.RedisTimeout, options.TimeProvider));
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            RedisHealthCheck.Name,
            sp => sp.GetRequiredService<RedisHealthCheck>(),
            HealthStatus.Unhealthy,
            [HealthEndpoints.ReadyTag]));
    }

    private static void MapEndpoints(WebApplication app)
    {
        string[] getOrHead = [HttpMethods.Get, HttpMethods.Head];
        var services = app.Services;
        var testing = services.GetRequiredService<TestingEndpoints>();
        var stream = services.GetRequiredService<SseEndpoint>();
        var publish = services.GetRequiredService<PublishEndpoint>();
        var lookup = services.GetRequiredService<LookupEndpoint>();

        app.MapMethods("/", getOrHead, context => testing.RootAsync(context));
        HealthEndpoints.Map(app);
        app.MapGet("/stream", context => stream.HandleAsync(context));
        app.MapPost("/api/publish", context => publish.HandleAsync(context));
        app.MapMethods("/api/lookup", getOrHead, context => lookup.HandleAsync(context));

        // Any method: failover tests exercise non-idempotent requests too.
        app.Map("/api/slow", context => testing.SlowAsync(context));
        app.Map("/api/status", context => testing.StatusAsync(context));
        app.MapMetrics("/metrics", services.GetRequiredService<AppMetrics>().Registry);
    }
}
