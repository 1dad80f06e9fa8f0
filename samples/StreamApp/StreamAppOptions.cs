using System.Globalization;
using System.Net;

namespace StreamApp;

/// <summary>
/// How one instance runs. <see cref="FromEnvironment"/> reads the guide's variables (INSTANCE_ID, REDIS_URL, PORT …);
/// a program hosting instances in process sets the properties directly.
/// </summary>
public sealed record StreamAppOptions
{
    /// <summary>Reported in the <c>X-Instance-Id</c> header and every JSON body. INSTANCE_ID; default: the machine name.</summary>
    public string InstanceId { get; init; } = Environment.MachineName;

    /// <summary><c>redis://host:port[/db]</c>; null or empty: the embedded in-process store. REDIS_URL.</summary>
    public string? RedisUrl { get; init; }

    /// <summary>TCP port; 0 picks a free one (read it back from <c>app.Urls</c> after start). PORT; default 8000.</summary>
    public int Port { get; init; } = 8000;

    /// <summary>Address to listen on: an IP address, <c>localhost</c>, or <c>*</c> for every IPv4 address. BIND; default 127.0.0.1.</summary>
    public string Bind { get; init; } = "127.0.0.1";

    /// <summary>
    /// How old a readiness result may be before /health/ready asks Redis again; Redis going away shows as 503 within
    /// this interval. HEALTH_CHECK_INTERVAL_MS; default 5000.
    /// </summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout for connecting to Redis, for each command and for the readiness PING. REDIS_TIMEOUT_MS; default 1000.</summary>
    public TimeSpan RedisTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Interval of the SSE heartbeat comment (<c>?heartbeat=</c> overrides it per stream). HEARTBEAT_SECONDS; default 15.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Events kept per channel for resumption (XADD MAXLEN ~). STREAM_MAX_LENGTH; default 10000.</summary>
    public int StreamMaxLength { get; init; } = 10_000;

    /// <summary>
    /// With Redis, how often a channel with subscribers re-reads its stream even without a pub/sub doorbell (covers
    /// doorbells lost during a reconnect). STREAM_POLL_MS; default 1000.
    /// </summary>
    public TimeSpan StreamPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A store supplied by the host instead of one built from <see cref="RedisUrl"/>: several instances hosted in one
    /// process can share one <see cref="Store.InMemoryEventStore"/>, so events cross between them without Redis (the
    /// <c>sluice demo</c> case). The host owns it and disposes it after the instances. Not with RedisUrl.
    /// </summary>
    public Store.IEventStore? EventStore { get; init; }

    /// <summary>The clock for ids, heartbeats, uptime and cached health results.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>For logs: everything but the Redis password.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        var redis = EventStore is not null ? "shared " + EventStore.Kind
            : string.IsNullOrEmpty(RedisUrl) ? "embedded"
            : Store.RedisUrl.TryParse(RedisUrl)?.ToString() ?? "(invalid)";
        builder.Append(CultureInfo.InvariantCulture, $"InstanceId = {InstanceId}, Redis = {redis}, Bind = {Bind}, Port = {Port}, ");
        builder.Append(CultureInfo.InvariantCulture, $"HealthCheckInterval = {HealthCheckInterval}, RedisTimeout = {RedisTimeout}, Heartbeat = {Heartbeat}, ");
        builder.Append(CultureInfo.InvariantCulture, $"StreamMaxLength = {StreamMaxLength}, StreamPollInterval = {StreamPollInterval}");
        return true;
    }

    /// <summary>Reads the environment variables named on each property; throws <see cref="FormatException"/> naming a bad one.</summary>
    public static StreamAppOptions FromEnvironment(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var defaults = new StreamAppOptions();
        string? Get(string name) => variable(name) is { Length: > 0 } value ? value.Trim() : null;

        var options = new StreamAppOptions
        {
            InstanceId = Get("INSTANCE_ID") ?? defaults.InstanceId,
            RedisUrl = Get("REDIS_URL"),
            Port = Get("PORT") is { } port ? ParseInt("PORT", port, 0, 65535) : defaults.Port,
            Bind = Get("BIND") ?? defaults.Bind,
            HealthCheckInterval = Milliseconds("HEALTH_CHECK_INTERVAL_MS", Get("HEALTH_CHECK_INTERVAL_MS"), defaults.HealthCheckInterval),
            RedisTimeout = Milliseconds("REDIS_TIMEOUT_MS", Get("REDIS_TIMEOUT_MS"), defaults.RedisTimeout),
            Heartbeat = Get("HEARTBEAT_SECONDS") is { } heartbeat ? TimeSpan.FromSeconds(ParseSeconds("HEARTBEAT_SECONDS", heartbeat)) : defaults.Heartbeat,
            StreamMaxLength = Get("STREAM_MAX_LENGTH") is { } max ? ParseInt("STREAM_MAX_LENGTH", max, 1, int.MaxValue) : defaults.StreamMaxLength,
            StreamPollInterval = Milliseconds("STREAM_POLL_MS", Get("STREAM_POLL_MS"), defaults.StreamPollInterval),
        };
        options.Validate();
        return options;
    }

    /// <summary>Throws <see cref="FormatException"/> when a setting cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(InstanceId) || InstanceId.Any(char.IsControl))
        {
            throw new FormatException("INSTANCE_ID must be a non-empty single-line name");
        }

        if (Port is < 0 or > 65535)
        {
            throw new FormatException($"PORT {Port} is out of range");
        }

        _ = ListenAddress();
        if (!string.IsNullOrEmpty(RedisUrl))
        {
            _ = Store.RedisUrl.Parse(RedisUrl);
            if (EventStore is not null)
            {
                throw new FormatException("give either REDIS_URL or a shared EventStore, not both");
            }
        }

        if (HealthCheckInterval < TimeSpan.Zero || RedisTimeout <= TimeSpan.Zero || Heartbeat <= TimeSpan.Zero || StreamPollInterval <= TimeSpan.Zero || StreamMaxLength < 1)
        {
            throw new FormatException("intervals and timeouts must be positive");
        }
    }

    /// <summary>The address Kestrel binds: null means "localhost" (loopback on IPv4 and IPv6).</summary>
    internal IPAddress? ListenAddress() => Bind switch
    {
        "localhost" => null,
        "*" or "0.0.0.0" => IPAddress.Any,
        "::" or "[::]" => IPAddress.IPv6Any,
        _ when IPAddress.TryParse(Bind.Trim('[', ']'), out var address) => address,
        _ => throw new FormatException($"BIND \"{Bind}\" is not an IP address, \"localhost\" or \"*\""),
    };

    private static int ParseInt(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new FormatException($"{name} \"{text}\" must be a whole number from {min} to {max}");

    private static TimeSpan Milliseconds(string name, string? text, TimeSpan fallback) =>
        text is null ? fallback : TimeSpan.FromMilliseconds(ParseInt(name, text, 0, int.MaxValue));

    private static double ParseSeconds(string name, string text) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= 86_400
            ? value
            : throw new FormatException($"{name} \"{text}\" must be a number of seconds greater than 0");
}
