namespace Sluice.Upstreams.Http1;

/// <summary>
/// The event loop a piece of code runs on, as a small number: Sluice's sockets are served by its own epoll loops
/// (<see cref="Transport.EpollLoop"/>), each of them what an nginx worker is — the place a request and its upstream
/// connection live. Loop threads are 1, 2, … (their <see cref="Enter"/>); any other thread (a timer's, the thread
/// pool's) gets -1, -2, … on its first call, which is correct too, only not kept apart. 0 means "not known" wherever one is stored.
/// </summary>
public static class EventLoop
{
    [ThreadStatic]
    private static int t_number;

    private static int s_lastOther;

    /// <summary>The calling thread's number, never 0.</summary>
    public static int Current => t_number != 0 ? t_number : t_number = -Interlocked.Increment(ref s_lastOther);

    /// <summary>Called by a loop's thread when it starts, with its number (1, 2, …).</summary>
    internal static void Enter(int number) => t_number = number;
}
