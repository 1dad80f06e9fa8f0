using System.Net;
using System.Net.Sockets;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>
/// A backend that accepts a connection, reads the request head, and closes without answering: the upstream
/// failure that happens after the request was sent (nginx's "upstream prematurely closed connection").
/// </summary>
public sealed class ClosingBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _connections;

    public ClosingBackend()
    {
        _listener.Start();
        _loop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Address => $"127.0.0.1:{Port}";

    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _ = CloseAfterHeadAsync(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task CloseAfterHeadAsync(Socket socket)
    {
        using (socket)
        {
            var buffer = new byte[8192];
            var seen = 0;
            try
            {
                while (true)
                {
                    var read = await socket.ReceiveAsync(buffer.AsMemory(seen));
                    if (read == 0)
                    {
                        return;
                    }

                    seen += read;
                    if (buffer.AsSpan(0, seen).IndexOf("\r\n\r\n"u8) >= 0 || seen == buffer.Length)
                    {
                        return;
                    }
                }
            }
            catch (SocketException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
