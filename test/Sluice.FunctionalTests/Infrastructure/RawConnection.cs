using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>One response as it came over the wire: the head (status line and headers, without the blank line) and the body.</summary>
public sealed record RawResponse(string Head, string Body)
{
    /// <summary>The first value of a header, or null.</summary>
    public string? Header(string name)
    {
        var match = Regex.Match(Head, $@"(?im)^{Regex.Escape(name)}:[ \t]*(.*?)\r?$");
        return match.Success ? match.Groups[1].Value : null;
    }
}

/// <summary>
/// A client connection on loopback that sends requests as given, byte for byte, one after another, and reads each
/// answer by its Content-Length: for the requests after the first on a kept-alive connection, which HttpClient
/// does not let a test place on the connection it chooses. Responses must carry a Content-Length (or none at all
/// for HEAD, 204 and 304).
/// </summary>
public sealed partial class RawConnection : IDisposable
{
    private readonly TcpClient _client = new();
    private readonly MemoryStream _pending = new();
    private readonly byte[] _chunk = new byte[8192];

    private RawConnection()
    {
    }

    public static async Task<RawConnection> OpenAsync(int port)
    {
        var connection = new RawConnection();
        await connection._client.ConnectAsync("127.0.0.1", port);
        return connection;
    }

    public async Task<RawResponse> ExchangeAsync(string request)
    {
        var stream = _client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int headEnd;
        while ((headEnd = _pending.GetBuffer().AsSpan(0, (int)_pending.Length).IndexOf("\r\n\r\n"u8)) < 0)
        {
            await ReadMoreAsync(stream, cts.Token);
        }

        var head = Encoding.Latin1.GetString(_pending.GetBuffer(), 0, headEnd);
        var status = int.Parse(head.Split(' ', 3)[1], CultureInfo.InvariantCulture);
        var length = ContentLength().Match(head) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        if (request.StartsWith("HEAD ", StringComparison.Ordinal) || status is 204 or 304)
        {
            length = 0;
        }

        var end = headEnd + 4 + length;
        while (_pending.Length < end)
        {
            await ReadMoreAsync(stream, cts.Token);
        }

        var body = Encoding.Latin1.GetString(_pending.GetBuffer(), headEnd + 4, length);
        var rest = _pending.GetBuffer().AsSpan(end, (int)_pending.Length - end).ToArray();
        _pending.SetLength(0);
        _pending.Write(rest);
        return new RawResponse(head, body);
    }

    private async Task ReadMoreAsync(NetworkStream stream, CancellationToken cancel)
    {
        var n = await stream.ReadAsync(_chunk, cancel);
        if (n == 0)
        {
            throw new IOException("the server closed the connection before the response was complete");
        }

        _pending.Position = _pending.Length;
        _pending.Write(_chunk, 0, n);
    }

    [GeneratedRegex(@"(?im)^content-length:[ \t]*(\d+)")]
    private static partial Regex ContentLength();

    public void Dispose()
    {
        _client.Dispose();
        _pending.Dispose();
    }
}
