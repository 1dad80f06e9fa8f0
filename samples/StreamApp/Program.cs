using StreamApp;

// One instance, configured like the guide's containers: INSTANCE_ID, REDIS_URL, PORT (and BIND, HEALTH_CHECK_INTERVAL_MS,
// REDIS_TIMEOUT_MS, HEARTBEAT_SECONDS, STREAM_MAX_LENGTH, STREAM_POLL_MS; see README.md).
StreamAppOptions options;
try
{
    options = StreamAppOptions.FromEnvironment(Environment.GetEnvironmentVariable);
}
catch (FormatException e)
{
    await Console.Error.WriteLineAsync($"streamapp: {e.Message}");
    return 2;
}

await using var app = StreamApplication.Build(options);
await app.RunAsync();
return 0;
