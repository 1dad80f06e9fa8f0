using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace StreamApp.Tests.Infrastructure;

/// <summary>
/// One StreamApp instance hosted in this process through <see cref="StreamApplication.Build"/>, on a free loopback
/// port — the way the <c>sluice demo</c> command can host three.
/// </summary>
public sealed class AppInstance : IAsyncDisposable
{
    /// <summary>Short, so that Redis going away shows quickly.</summary>
    public static readonly TimeSpan HealthCheckInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Generous: on a loaded two-core machine a loopback command can take hundreds of milliseconds. A killed Redis is
    /// noticed without waiting for it anyway (the socket closes and commands fail at once).
    /// </summary>
    public static readonly TimeSpan RedisTimeout = TimeSpan.FromSeconds(2);

    private readonly WebApplication _app;

    private AppInstance(WebApplication app, string id, Uri baseAddress)
    {
        _app = app;
        Id = id;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(15) };
    }

    public string Id { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    /// <summary>Starts an instance; <paramref name="redisUrl"/> null means the embedded store.</summary>
    public static async Task<AppInstance> StartAsync(string id, string? redisUrl, Func<StreamAppOptions, StreamAppOptions>? adjust = null)
    {
        var options = new StreamAppOptions
        {
            InstanceId = id,
            RedisUrl = redisUrl,
            Port = 0,
            Bind = "127.0.0.1",
            HealthCheckInterval = HealthCheckInterval,
            RedisTimeout = RedisTimeout,
            StreamPollInterval = TimeSpan.FromMilliseconds(500),
        };
        options = adjust?.Invoke(options) ?? options;
        var app = StreamApplication.Build(options, builder => builder.Logging.ClearProviders());
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new AppInstance(app, id, new Uri(app.Urls.First().TrimEnd('/') + "/"));
    }

    /// <summary>Publishes <paramref name="data"/> and returns the event's id.</summary>
    public async Task<string> PublishAsync(string channel, object data, string type = "message")
    {
        var body = JsonSerializer.Serialize(new { channel, @event = type, data });
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Client.PostAsync("api/publish", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"publish to {Id} answered {(int)response.StatusCode}: {text}");
        using var json = JsonDocument.Parse(text);
        Assert.Equal(Id, json.RootElement.GetProperty("instance").GetString());
        return json.RootElement.GetProperty("id").GetString()!;
    }

    public async Task<(int Status, JsonDocument Body)> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return ((int)response.StatusCode, JsonDocument.Parse(text));
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{path} on {Id} did not answer JSON ({(int)response.StatusCode}): {text}", e);
        }
    }

    /// <summary>Open SSE streams, as /health/detailed reports them.</summary>
    public async Task<int> OpenStreamsAsync()
    {
        var (_, body) = await GetJsonAsync("health/detailed");
        using (body)
        {
            return body.RootElement.GetProperty("streams").GetProperty("open").GetInt32();
        }
    }

    public Task<SseClient> StreamAsync(string query = "", string? lastEventId = null) => SseClient.ConnectAsync(BaseAddress, query, lastEventId);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Waits for a condition with a deadline (never a fixed sleep).</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}");
            }

            await Task.Delay(25);
        }
    }
}

/// <summary>Publish request helper used with JsonContent when a test needs the raw response.</summary>
public static class Json
{
    public static JsonContent Of(object value) => JsonContent.Create(value);
}
