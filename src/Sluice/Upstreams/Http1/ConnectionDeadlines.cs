using System.Diagnostics;

namespace Sluice.Upstreams.Http1;

/// <summary>
/// The timeouts of every open upstream connection, checked by one timer: an operation only writes its
/// deadline (no timer to arm, no lock), and every <see cref="Resolution"/> the overdue ones are cancelled.
/// nginx's timers are a tree checked by its event loop; this is the same idea at a coarser grain, which
/// proxy timeouts (seconds) do not notice. Connections join once when made and leave when closed.
/// </summary>
internal static class ConnectionDeadlines
{
    /// <summary>How late a timeout may fire.</summary>
    public static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(50);

    private static readonly List<UpstreamConnection> Connections = [];
    private static readonly Timer Sweeper = new(static _ => Sweep(), null, Resolution, Resolution);

    /// <summary>Now, in the clock deadlines are written in (milliseconds, monotonic).</summary>
    public static long Now => Environment.TickCount64;

    public static void Add(UpstreamConnection connection)
    {
        lock (Connections)
        {
            connection.DeadlineIndex = Connections.Count;
            Connections.Add(connection);
        }

        GC.KeepAlive(Sweeper);
    }

    public static void Remove(UpstreamConnection connection)
    {
        lock (Connections)
        {
            var index = connection.DeadlineIndex;
            if (index < 0 || index >= Connections.Count || !ReferenceEquals(Connections[index], connection))
            {
                return;
            }

            // Swap with the last one: O(1), order does not matter.
            var last = Connections[^1];
            Connections[index] = last;
            last.DeadlineIndex = index;
            Connections.RemoveAt(Connections.Count - 1);
            connection.DeadlineIndex = -1;
        }
    }

    private static void Sweep()
    {
        var now = Now;
        List<(UpstreamConnection, long)>? overdue = null;
        lock (Connections)
        {
            foreach (var connection in Connections)
            {
                var deadline = connection.Deadline;
                if (deadline <= now)
                {
                    (overdue ??= []).Add((connection, deadline));
                }
            }
        }

        if (overdue is not null)
        {
            foreach (var (connection, deadline) in overdue)
            {
                connection.TimedOut(deadline);
            }
        }
    }
}
