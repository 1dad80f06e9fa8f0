using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;
using StreamApp.Store;

namespace StreamApp.Health;

/// <summary>
/// Readiness of Redis: a real PING, bounded by the Redis timeout. A balancer may probe every instance several times a
/// second; one PING per <c>HEALTH_CHECK_INTERVAL_MS</c> answers all of them, and a result is never older than that
/// interval — so Redis going away shows as 503 within one interval, and coming back as 200 within one interval of
/// the client reconnecting. Concurrent probes with a stale result share one PING.
/// </summary>
public sealed class RedisHealthCheck : IHealthCheck
{
    public const string Name = "redis";
    public const string NotConfigured = "not configured";

    private readonly RedisConnection? _connection;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private (HealthCheckResult Result, long At)? _last;
    private Task<HealthCheckResult>? _probing;

    /// <param name="connection">Null when no REDIS_URL is configured: then always healthy, "not configured".</param>
    /// <param name="interval">How long a result is reused; zero probes on every request.</param>
    /// <param name="timeout">Longest wait for PONG.</param>
    /// <param name="time">The clock for the cache.</param>
    public RedisHealthCheck(RedisConnection? connection, TimeSpan interval, TimeSpan timeout, TimeProvider time)
    {
        _connection = connection;
        _interval = interval;
        _timeout = timeout;
        _time = time;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_connection is null)
        {
            return HealthCheckResult.Healthy(NotConfigured, new Dictionary<string, object> { ["store"] = "embedded" });
        }

        Task<HealthCheckResult> probing;
        lock (_gate)
        {
            if (_last is { } last && _time.GetElapsedTime(last.At) < _interval)
            {
                return last.Result;
            }

            probing = _probing ??= ProbeAndRememberAsync(_connection);
        }

        // The shared probe is not cancelled by one caller leaving; it ends by itself within the timeout.
        return await probing.WaitAsync(cancellationToken);
    }

    private async Task<HealthCheckResult> ProbeAndRememberAsync(RedisConnection connection)
    {
        var result = await ProbeAsync(connection);
        lock (_gate)
        {
            _last = (result, _time.GetTimestamp());
            _probing = null;
        }

        return result;
    }

    private async Task<HealthCheckResult> ProbeAsync(RedisConnection connection)
    {
        // Never complete synchronously: the caller assigns _probing under the lock after this returns, and a probe
        // that finished first would clear _probing before that assignment and leave a stale task there for good.
        await Task.Yield();
        var data = new Dictionary<string, object> { ["endpoint"] = connection.Url.Endpoint };
        try
        {
            var multiplexer = await connection.GetAsync().WaitAsync(_timeout, _time);
            var latency = await multiplexer.GetDatabase().PingAsync().WaitAsync(_timeout, _time);
            data["latency_ms"] = Math.Round(latency.TotalMilliseconds, 3).ToString(CultureInfo.InvariantCulture);
            return HealthCheckResult.Healthy("healthy", data);
        }
        catch (TimeoutException e)
        {
            return HealthCheckResult.Unhealthy($"redis {connection.Url.Endpoint} did not answer PING within {_timeout.TotalMilliseconds:0} ms", e, data);
        }
        catch (RedisException e)
        {
            return HealthCheckResult.Unhealthy($"redis {connection.Url.Endpoint}: {RedisErrors.Describe(e)}", e, data);
        }
    }
}
