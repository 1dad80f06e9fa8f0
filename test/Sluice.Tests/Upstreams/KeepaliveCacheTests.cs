using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sluice.Upstreams.Configuration;
using Sluice.Upstreams.Http1;

namespace Sluice.Tests.Upstreams;

/// <summary>
/// Which cached connection a request gets: the newest to its peer, preferring one whose socket events run on the
/// request's own thread (real loopback connections to a listener that accepts and keeps them).
/// </summary>
public sealed class KeepaliveCacheTests : IDisposable
{
    private static readonly UpstreamKeepalive Settings = new(MaxCached: 8, Time: TimeSpan.FromHours(1), Timeout: TimeSpan.FromMinutes(1), Requests: 1000);

    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _accepted = [];

    private EndPoint Peer => _listener.LocalEndPoint!;

    public KeepaliveCacheTests()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
    }

    public void Dispose()
    {
        foreach (var socket in _accepted)
        {
            socket.Dispose();
        }

        _listener.Dispose();
    }

    [Fact]
    public async Task Prefers_a_connection_of_the_requests_thread_over_a_newer_one()
    {
        using var cache = new KeepaliveCache(Settings, TimeProvider.System);
        var mine = await ConnectAsync();
        var newer = await ConnectAsync();

        // From here on no await: the thread that takes is the thread named here.
        var here = EventLoop.Current;
        mine.HomeLoop = here;
        newer.HomeLoop = here + 1;
        cache.Return(mine);
        cache.Return(newer);

        Assert.Same(mine, cache.Take(Peer));
        Assert.Same(newer, cache.Take(Peer));
        Assert.Null(cache.Take(Peer));
    }

    [Fact]
    public async Task Without_one_of_the_requests_thread_the_newest_is_taken()
    {
        using var cache = new KeepaliveCache(Settings, TimeProvider.System);
        var older = await ConnectAsync();
        var newest = await ConnectAsync();
        older.HomeLoop = EventLoop.Current + 1;
        cache.Return(older);
        cache.Return(newest);

        Assert.Same(newest, cache.Take(Peer));
        Assert.Same(older, cache.Take(Peer));
    }

    /// <summary>nginx's "keepalive N" is per worker: each event loop has a shard of N, and takes only from its own.</summary>
    [Fact]
    public async Task With_two_workers_a_connection_goes_back_to_its_own_loops_shard_of_n()
    {
        using var cache = new KeepaliveCache(Settings with { MaxCached = 2 }, TimeProvider.System, workers: 2);
        var other = await ConnectAsync();
        var mine = new List<UpstreamConnection> { await ConnectAsync(), await ConnectAsync(), await ConnectAsync() };

        // From here on no await: the loop that returns and takes is the one named here.
        var here = EventLoop.Current;
        other.HomeLoop = here - 1 != 0 ? here - 1 : here + 1; // the other shard: the other parity, and never 0 ("not known")
        cache.Return(other);
        Assert.Equal(1, cache.Count);
        Assert.Null(cache.Take(Peer));

        foreach (var connection in mine)
        {
            connection.HomeLoop = here;
            cache.Return(connection);
        }

        // The shard of this loop keeps its two newest; the other loop's connection is untouched.
        Assert.Equal(3, cache.Count);
        Assert.Same(mine[2], cache.Take(Peer));
        Assert.Same(mine[1], cache.Take(Peer));
        Assert.Null(cache.Take(Peer));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task A_connection_the_peer_closed_while_idle_is_never_handed_out()
    {
        using var cache = new KeepaliveCache(Settings, TimeProvider.System);
        var closed = await ConnectAsync();
        var open = await ConnectAsync();
        _accepted[0].Close();
        await Task.Delay(50);
        closed.HomeLoop = EventLoop.Current;
        cache.Return(open);
        cache.Return(closed);

        Assert.Same(open, cache.Take(Peer));
        Assert.Null(cache.Take(Peer));
    }

    [Fact]
    public async Task A_connection_the_peer_closes_after_it_went_idle_is_never_handed_out()
    {
        using var cache = new KeepaliveCache(Settings, TimeProvider.System);
        var closing = await ConnectAsync();
        cache.Return(closing);
        Assert.True(closing.IsIdleAndOpen());

        // Idle as long as a peer's keepalive timeout, and taken at once after the peer's close: the kernel knows,
        // whatever the event loop has seen yet.
        closing.IdleSince -= (long)(UpstreamConnection.KernelCheckAfterIdle.TotalSeconds * Stopwatch.Frequency);
        _accepted[0].Close();

        Assert.Null(cache.Take(Peer));
    }

    [Fact]
    public async Task A_connection_the_peer_closed_is_known_closed_from_the_event_loop_and_never_handed_out()
    {
        using var cache = new KeepaliveCache(Settings, TimeProvider.System);
        var closing = await ConnectAsync();
        cache.Return(closing);
        _accepted[0].Close();
        await WaitUntilAsync(() => !closing.IsIdleAndOpen());

        Assert.Null(cache.Take(Peer));
    }

    [Fact]
    public async Task A_connection_the_peer_sent_something_unasked_is_never_handed_out()
    {
        using var cache = new KeepaliveCache(Settings, TimeProvider.System);
        var chatty = await ConnectAsync();
        cache.Return(chatty);
        await _accepted[0].SendAsync("HTTP/1.1 408 Request Time-out\r\n\r\n"u8.ToArray());
        await WaitUntilAsync(() => !chatty.IsIdleAndOpen());

        Assert.Null(cache.Take(Peer));
    }

    [Fact]
    public async Task A_reused_connection_reads_the_next_response_head()
    {
        using var cache = new KeepaliveCache(Settings, TimeProvider.System);
        var connection = await ConnectAsync();
        cache.Return(connection);
        var taken = cache.Take(Peer);
        Assert.Same(connection, taken);

        await connection.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), TimeSpan.FromSeconds(5));
        var request = new byte[64];
        var got = await _accepted[0].ReceiveAsync(request);
        Assert.Equal("GET / HTTP/1.1\r\n\r\n", System.Text.Encoding.ASCII.GetString(request, 0, got));
        var response = "HTTP/1.1 204 No Content\r\n\r\n"u8.ToArray();
        await _accepted[0].SendAsync(response);

        var read = await connection.ReceiveAsync(connection.Buffer.AsMemory(0, connection.BufferSize), TimeSpan.FromSeconds(5));
        Assert.Equal(response, connection.Buffer.AsSpan(0, read).ToArray());
        connection.Dispose();
    }

    /// <summary>An idle connection is closed as nginx closes it, with a FIN: the backend reads its end, not a reset.</summary>
    [Fact]
    public async Task An_idle_connection_closed_by_the_cache_ends_with_a_fin_not_a_reset()
    {
        var cache = new KeepaliveCache(Settings, TimeProvider.System);
        var connection = await ConnectAsync();
        cache.Return(connection);
        Assert.True(connection.IsIdleAndOpen());

        cache.Dispose();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var read = await _accepted[0].ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token);
        Assert.Equal(0, read);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    private async Task<UpstreamConnection> ConnectAsync()
    {
        var accept = _listener.AcceptAsync();
        var connection = await UpstreamConnection.ConnectAsync(Peer, 4096, TimeSpan.FromSeconds(5), CancellationToken.None);
        _accepted.Add(await accept);
        connection.Requests = 1;
        return connection;
    }
}
