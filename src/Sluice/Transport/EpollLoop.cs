using System.Collections.Concurrent;

namespace Sluice.Transport;

/// <summary>Receives the epoll events of one registered file descriptor, on its loop's thread.</summary>
internal interface IEpollHandler
{
    void OnEvents(uint events);
}

/// <summary>
/// One event loop: a thread waiting in epoll_wait and running, for each ready socket, the code that waits for it —
/// what an nginx worker process is. Sockets are registered once, edge-triggered, for input, output and the peer's
/// close; a socket's reads, writes and the continuations they wake run on its loop's thread, so a client
/// connection, its upstream connection and their request run on one thread without hand-offs. Work from other
/// threads (a timer's cancellation) is posted to the loop and run after the events of its current round.
/// </summary>
internal sealed unsafe class EpollLoop
{
    private const int BatchSize = 256;
    private const ulong WakeToken = ulong.MaxValue;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly ConcurrentQueue<(Action<object?> Work, object? State)> _posted = new();
    private readonly Lock _registryLock = new();
    private readonly Stack<int> _freeSlots = new();
    private Registration?[] _registrations = new Registration?[256];
    private int _nextSlot;
    private uint _generation;
    private int _wakePending;

    public EpollLoop(int number)
    {
        Number = number;
        _epoll = LinuxSockets.CreateEpoll();
        _wake = LinuxSockets.CreateEventFd();
        LinuxSockets.Register(_epoll, _wake, LinuxSockets.EpollIn | LinuxSockets.EpollEdgeTriggered, WakeToken);
        var thread = new Thread(Run) { IsBackground = true, Name = $"Sluice loop {number}" };
        thread.UnsafeStart();
    }

    /// <summary>1, 2, …: the <see cref="Upstreams.Http1.EventLoop"/> number of this loop's thread.</summary>
    public int Number { get; }

    /// <summary>Registers <paramref name="fd"/> for <paramref name="events"/>; the token given back unregisters it.</summary>
    public ulong Add(int fd, uint events, IEpollHandler handler)
    {
        ulong token;
        lock (_registryLock)
        {
            var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _nextSlot++;
            if (slot >= _registrations.Length)
            {
                var larger = new Registration?[_registrations.Length * 2];
                _registrations.CopyTo(larger, 0);
                Volatile.Write(ref _registrations, larger);
            }

            var generation = ++_generation;
            _registrations[slot] = new Registration(handler, generation);
            token = ((ulong)generation << 32) | (uint)slot;
        }

        try
        {
            LinuxSockets.Register(_epoll, fd, events, token);
        }
        catch
        {
            Remove(token);
            throw;
        }

        return token;
    }

    /// <summary>
    /// Forgets a registration: events already fetched for it are dropped (the slot's generation no longer matches).
    /// Closing the descriptor takes it out of the epoll set; <paramref name="fd"/> is given when it stays open.
    /// </summary>
    public void Remove(ulong token, int fd = -1)
    {
        if (fd >= 0)
        {
            LinuxSockets.Unregister(_epoll, fd);
        }

        lock (_registryLock)
        {
            var slot = (int)(uint)token;
            if (_registrations[slot] is { } registration && registration.Generation == (uint)(token >> 32))
            {
                _registrations[slot] = null;
                _freeSlots.Push(slot);
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> on this loop's thread after its current round of events.</summary>
    public void Post(Action<object?> work, object? state)
    {
        _posted.Enqueue((work, state));
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            LinuxSockets.Signal(_wake);
        }
    }

    private void Run()
    {
        Upstreams.Http1.EventLoop.Enter(Number);
        var events = stackalloc byte[BatchSize * LinuxSockets.EpollEventSize];
        while (true)
        {
            var count = LinuxSockets.Wait(_epoll, events, BatchSize, -1);
            var registrations = Volatile.Read(ref _registrations);
            for (var i = 0; i < count; i++)
            {
                var token = LinuxSockets.DataAt(events, i);
                if (token == WakeToken)
                {
                    LinuxSockets.DrainSignal(_wake);
                    Volatile.Write(ref _wakePending, 0);
                    continue;
                }

                var slot = (int)(uint)token;
                if (slot < registrations.Length && registrations[slot] is { } registration && registration.Generation == (uint)(token >> 32))
                {
                    Dispatch(registration.Handler, LinuxSockets.EventsAt(events, i));
                }
            }

            while (_posted.TryDequeue(out var posted))
            {
                try
                {
                    posted.Work(posted.State);
                }
                catch (Exception e)
                {
                    Unexpected(e);
                }
            }
        }
    }

    private static void Dispatch(IEpollHandler handler, uint events)
    {
        try
        {
            handler.OnEvents(events);
        }
        catch (Exception e)
        {
            Unexpected(e);
        }
    }

    /// <summary>The code a loop runs catches its own errors; one escaping must not stop the loop for every other socket.</summary>
    private static void Unexpected(Exception e) => Console.Error.WriteLine($"sluice: event loop: unexpected {e}");

    private sealed record Registration(IEpollHandler Handler, uint Generation);
}

/// <summary>The process's event loops, one per core (nginx's <c>worker_processes auto</c>), started on first use.</summary>
internal static class EpollLoops
{
    private static readonly Lazy<EpollLoop[]> s_loops = new(() =>
        Enumerable.Range(1, Math.Max(1, Environment.ProcessorCount)).Select(n => new EpollLoop(n)).ToArray());

    private static int s_next;

    public static IReadOnlyList<EpollLoop> All => s_loops.Value;

    /// <summary>The calling thread's loop when it is one, so that what it opens stays with it; else the next in turn.</summary>
    public static EpollLoop Current
    {
        get
        {
            var loops = s_loops.Value;
            var number = Upstreams.Http1.EventLoop.Current;
            return number > 0 && number <= loops.Length ? loops[number - 1] : Next();
        }
    }

    /// <summary>The loops in turn.</summary>
    public static EpollLoop Next()
    {
        var loops = s_loops.Value;
        return loops[(int)((uint)Interlocked.Increment(ref s_next) % (uint)loops.Length)];
    }
}
