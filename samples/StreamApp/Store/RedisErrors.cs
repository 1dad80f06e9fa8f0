namespace StreamApp.Store;

/// <summary>
/// StackExchange.Redis exception messages carry a long diagnostic tail (thread-pool counters, buffer states) after
/// the first "; ". That tail belongs in a debugger, not in every /health/ready body and log line.
/// </summary>
internal static class RedisErrors
{
    public static string Describe(Exception exception)
    {
        var message = exception.Message;
        var end = message.IndexOf("; ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}
