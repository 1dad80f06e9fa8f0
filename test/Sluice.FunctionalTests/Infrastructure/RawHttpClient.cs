using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>
/// One client connection on a plain socket, for the tests that need to control the client's pace: send raw
/// bytes, read a response head, then read its body as slowly (or not at all) as the test wants. A small
/// receive buffer makes a client that stops reading felt by the server at once.
/// </summary>
public sealed class RawHttpClient : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[65536];
    private int _start;
    private int _end;

    private RawHttpClient(Socket socket) => _socket = socket;

    public Socket Socket => _socket;

    public static async Task<RawHttpClient> ConnectAsync(int port, int receiveBufferSize = 64 * 1024)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = receiveBufferSize };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return new RawHttpClient(socket);
    }

    public async Task SendAsync(string raw) => await SendAsync(Encoding.Latin1.GetBytes(raw));

    public async Task SendAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None);
            data = data[sent..];
        }
    }

    /// <summary>Reads up to the empty line that ends a response head; null when the server closed (or reset) first.</summary>
    public async Task<RawResponseHead?> ReadHeadAsync(TimeSpan? timeout = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var head = new List<byte>();
        while (true)
        {
            while (_start < _end)
            {
                head.Add(_buffer[_start++]);
                if (head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n')
                {
                    return RawResponseHead.Parse(Encoding.Latin1.GetString([.. head]));
                }
            }

            if (await FillAsync(limit.Token) <= 0)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Reads body bytes until <paramref name="count"/> arrived, the server closed, or it reset the connection;
    /// returns how many arrived and whether the connection ended with a reset.
    /// </summary>
    public async Task<(long Received, bool Reset)> ReadBodyAsync(long count, TimeSpan? timeout = null, Stream? into = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        long received = 0;
        while (received < count)
        {
            if (_start == _end)
            {
                var read = await FillAsync(limit.Token);
                if (read < 0)
                {
                    return (received, true);
                }

                if (read == 0)
                {
                    return (received, false);
                }
            }

            var take = (int)Math.Min(count - received, _end - _start);
            into?.Write(_buffer, _start, take);
            _start += take;
            received += take;
        }

        return (received, false);
    }

    /// <summary>Whatever comes next (what was read along with the head first): bytes read, 0 at the end, -1 for a reset.</summary>
    public async Task<int> ReadSomeAsync(byte[] into, CancellationToken cancellationToken)
    {
        if (_start == _end && await FillAsync(cancellationToken) is var filled and <= 0)
        {
            return filled;
        }

        var take = Math.Min(into.Length, _end - _start);
        Array.Copy(_buffer, _start, into, 0, take);
        _start += take;
        return take;
    }

    /// <summary>Reads until the server closes the connection (or <paramref name="timeout"/>); the bytes, and whether it was a reset.</summary>
    public async Task<(byte[] Bytes, bool Reset)> ReadToEndAsync(TimeSpan? timeout = null)
    {
        using var all = new MemoryStream();
        var (_, reset) = await ReadBodyAsync(long.MaxValue, timeout, all);
        return (all.ToArray(), reset);
    }

    /// <summary>Bytes read: &gt; 0, 0 at the end of the stream, -1 for a reset.</summary>
    private async Task<int> FillAsync(CancellationToken cancellationToken)
    {
        try
        {
            var read = await _socket.ReceiveAsync(_buffer, SocketFlags.None, cancellationToken);
            _start = 0;
            _end = read;
            return read;
        }
        catch (SocketException)
        {
            _start = _end = 0;
            return -1;
        }
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>A response head as read from the wire.</summary>
public sealed record RawResponseHead(string StatusLine, int Status, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public long ContentLength => Header("Content-Length") is { } value ? long.Parse(value, CultureInfo.InvariantCulture) : -1;

    public static RawResponseHead Parse(string text)
    {
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var parts = lines[0].Split(' ', 3);
        var status = parts.Length > 1 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var code) ? code : 0;
        var headers = lines.Skip(1)
            .Select(line => line.Split(':', 2))
            .Where(pair => pair.Length == 2)
            .Select(pair => new KeyValuePair<string, string>(pair[0].Trim(), pair[1].Trim()))
            .ToList();
        return new RawResponseHead(lines[0], status, headers);
    }
}
