using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>
/// A backend on a plain socket whose answers are scripted byte by byte, for what a well-behaved HTTP server
/// never sends: a garbage status line, an invalid header, a reset, a response that trickles in with pauses. It
/// reads each request head and runs the script registered for the longest matching path prefix; the script
/// owns the connection (one request per connection: the proxies' default <c>Connection: close</c>). A request
/// no script matches is closed without an answer once its head is read (nginx's "upstream prematurely closed
/// connection").
/// </summary>
public sealed class ScriptedBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, Func<ScriptedRequest, Task>> _scripts = new(StringComparer.Ordinal);
    private readonly Task _loop;
    private int _requests;

    public ScriptedBackend()
    {
        _listener.Start();
        _loop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Address => $"127.0.0.1:{Port}";

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Runs <paramref name="script"/> for requests whose path starts with <paramref name="prefix"/>.</summary>
    public ScriptedBackend On(string prefix, Func<ScriptedRequest, Task> script)
    {
        lock (_scripts)
        {
            _scripts[prefix] = script;
        }

        return this;
    }

    /// <summary>Answers <paramref name="prefix"/> with these bytes, then closes.</summary>
    public ScriptedBackend Answer(string prefix, string raw) => On(prefix, request => request.SendAsync(raw));

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                _ = ServeAsync(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                var head = await ReadHeadAsync(socket);
                if (head is null)
                {
                    return;
                }

                Interlocked.Increment(ref _requests);
                var target = head.Split(' ', 3) is { Length: > 1 } parts ? parts[1] : "/";
                Func<ScriptedRequest, Task>? script;
                lock (_scripts)
                {
                    script = _scripts.Where(s => target.StartsWith(s.Key, StringComparison.Ordinal)).OrderByDescending(s => s.Key.Length).Select(s => s.Value).FirstOrDefault();
                }

                if (script is not null)
                {
                    await script(new ScriptedRequest(socket, target, head, _stop.Token));
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        }
    }

    private static async Task<string?> ReadHeadAsync(Socket socket)
    {
        var bytes = new List<byte>();
        var buffer = new byte[1];
        while (!(bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            if (await socket.ReceiveAsync(buffer) == 0)
            {
                return null;
            }

            bytes.Add(buffer[0]);
        }

        return Encoding.Latin1.GetString([.. bytes]);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>One request a <see cref="ScriptedBackend"/> received: its target and head, and the connection to answer on.</summary>
public sealed record ScriptedRequest(Socket Socket, string Target, string Head, CancellationToken Stopping)
{
    public async Task SendAsync(string raw) => await SendAsync(Encoding.Latin1.GetBytes(raw));

    public async Task SendAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await Socket.SendAsync(data, SocketFlags.None, Stopping);
            data = data[sent..];
        }
    }

    /// <summary>Closes with a TCP reset (SO_LINGER 0) instead of a FIN.</summary>
    public void Reset()
    {
        Socket.LingerState = new LingerOption(true, 0);
        Socket.Close();
    }
}
