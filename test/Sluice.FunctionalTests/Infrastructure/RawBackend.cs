using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>
/// A backend on bare sockets, for what Kestrel cannot be made to do: it reads each request (head, and a
/// Content-Length body) and answers with the bytes <c>answer(n)</c> gives for the n-th request of the
/// connection (1-based), or closes the connection without answering when it gives null — a keepalive
/// connection closed just as the next request arrives. With <see cref="Resetting"/> it resets every
/// connection as soon as it is accepted (a backend that died behind its listening socket), noting when.
/// </summary>
public sealed class RawBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<int, byte[]?> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _open = [];
    private readonly List<TimeSpan> _resets = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _loop;
    private int _connections;
    private int _requests;
    private volatile bool _resetting;

    public RawBackend(Func<int, byte[]?> answer)
    {
        _answer = answer;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _loop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Address => $"127.0.0.1:{Port}";

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Requests read completely (answered or not).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Time since the backend started (the clock of <see cref="ResetTimes"/>).</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>When each connection reset by <see cref="Resetting"/> was accepted.</summary>
    public IReadOnlyList<TimeSpan> ResetTimes
    {
        get
        {
            lock (_resets)
            {
                return [.. _resets];
            }
        }
    }

    /// <summary>Resets new connections at once; switching it on also closes the connections open now.</summary>
    public bool Resetting
    {
        get => _resetting;
        set
        {
            _resetting = value;
            if (value)
            {
                lock (_open)
                {
                    foreach (var socket in _open)
                    {
                        socket.Close(0);
                    }

                    _open.Clear();
                }
            }
        }
    }

    /// <summary>Closes the connections open now, as a backend closes idle keepalive connections (FIN, not reset).</summary>
    public void CloseConnections()
    {
        lock (_open)
        {
            foreach (var socket in _open)
            {
                socket.Shutdown(SocketShutdown.Both);
                socket.Close();
            }

            _open.Clear();
        }
    }

    /// <summary>An HTTP/1.1 200 with <c>X-Backend: name</c> and a short body, the connection kept open.</summary>
    public static byte[] Ok(string name, string extraHeader = "") =>
        Encoding.Latin1.GetBytes($"HTTP/1.1 200 OK\r\nX-Backend: {name}\r\n{extraHeader}Content-Length: 2\r\n\r\nok");

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                if (_resetting)
                {
                    lock (_resets)
                    {
                        _resets.Add(_clock.Elapsed);
                    }

                    socket.Close(0);
                    continue;
                }

                lock (_open)
                {
                    _open.Add(socket);
                }

                _ = ServeAsync(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var buffer = new byte[65536];
        var filled = 0;
        try
        {
            for (var n = 1; ; n++)
            {
                int length;
                while ((length = RequestLength(buffer.AsSpan(0, filled))) < 0 || filled < length)
                {
                    var read = await socket.ReceiveAsync(buffer.AsMemory(filled));
                    if (read == 0)
                    {
                        return;
                    }

                    filled += read;
                }

                Interlocked.Increment(ref _requests);
                buffer.AsSpan(length, filled - length).CopyTo(buffer);
                filled -= length;
                if (_answer(n) is not { } response)
                {
                    return;
                }

                await socket.SendAsync(response);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(socket);
            }

            socket.Dispose();
        }
    }

    /// <summary>The length of the request at the start of <paramref name="data"/> (head and Content-Length body); -1 while its head is incomplete.</summary>
    private static int RequestLength(ReadOnlySpan<byte> data)
    {
        var end = data.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return -1;
        }

        var body = Encoding.Latin1.GetString(data[..end]).Split("\r\n")
            .Where(l => l.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase))
            .Select(l => int.Parse(l[15..].Trim(), CultureInfo.InvariantCulture))
            .FirstOrDefault();
        return end + 4 + body;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        lock (_open)
        {
            foreach (var socket in _open)
            {
                socket.Dispose();
            }
        }

        _stop.Dispose();
    }
}
