namespace Sluice.Upstreams.Http1;

/// <summary>
/// The event loop a piece of code runs on, as a small number: socket completions run inline on the socket engine's
/// threads, so each of those threads is what an nginx worker is — the place a request and its upstream connection live.
/// Numbers are handed out on a thread's first call: 1, 2, … to the socket engine's threads, so that with one shard per
/// core each loop has a shard of its own; -1, -2, … to any other thread (a timer's, the thread pool's), which is
/// correct too, only not kept apart. 0 means "not known" wherever one is stored.
/// </summary>
public static class EventLoop
{
    [ThreadStatic]
    private static int t_number;

    private static int s_lastLoop;
    private static int s_lastOther;

    /// <summary>The calling thread's number, never 0.</summary>
    public static int Current => t_number != 0 ? t_number : Assign();

    private static int Assign() => t_number = Thread.CurrentThread.Name is { } name && name.StartsWith(".NET Socket", StringComparison.Ordinal)
        ? Interlocked.Increment(ref s_lastLoop)
        : -Interlocked.Increment(ref s_lastOther);
}
