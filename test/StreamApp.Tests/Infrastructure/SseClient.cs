using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace StreamApp.Tests.Infrastructure;

/// <summary>One frame read from an SSE stream: an event (id, type, data) or a comment.</summary>
public sealed record SseFrame(string? Id, string? Type, string? Data, string? Comment, TimeSpan At)
{
    public bool IsComment => Comment is not null;

    public JsonElement ParseData() => JsonElement.Parse(Data ?? throw new InvalidOperationException($"a comment, not an event: {Comment}"));
}

/// <summary>
/// A minimal EventSource: reads the stream line by line and parses frames as the HTML spec does (fields up to a
/// blank line; lines starting with ':' are comments). Connecting returns once the server's "connected" comment has
/// arrived — by then the server has subscribed, so anything published afterwards must reach this client.
/// </summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;
    private readonly CancellationTokenSource _closed = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Channel<SseFrame> _frames = Channel.CreateUnbounded<SseFrame>();
    private readonly Task _reading;

    private SseClient(HttpClient http, HttpResponseMessage response, StreamReader reader)
    {
        _http = http;
        _response = response;
        _reader = reader;
        _reading = Task.Run(ReadFramesAsync);
    }

    public HttpResponseMessage Response => _response;

    /// <summary>The id of the last event read, which a reconnecting client sends as Last-Event-ID.</summary>
    public string? LastEventId { get; private set; }

    public static async Task<SseClient> ConnectAsync(Uri baseAddress, string query = "", string? lastEventId = null)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "stream" + query);
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (lastEventId is not null)
            {
                request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
            }

            using var connect = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connect.Token);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(connect.Token);
                response.Dispose();
                throw new InvalidOperationException($"/stream{query} answered {(int)response.StatusCode}: {body}");
            }

            var reader = new StreamReader(await response.Content.ReadAsStreamAsync(connect.Token));
            var client = new SseClient(http, response, reader);
            var first = await client.NextAsync(TimeSpan.FromSeconds(10));
            Assert.True(first.IsComment && first.Comment!.StartsWith("connected", StringComparison.Ordinal), $"first frame: {first}");
            return client;
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>The next frame of any kind.</summary>
    public async Task<SseFrame> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            if (!await _frames.Reader.WaitToReadAsync(cts.Token))
            {
                throw new EndOfStreamException("the SSE stream ended");
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no SSE frame within {timeout.TotalSeconds:0.##} s");
        }

        var frame = await _frames.Reader.ReadAsync();
        if (frame.Data is not null && frame.Id is not null)
        {
            LastEventId = frame.Id;
        }

        return frame;
    }

    /// <summary>
    /// Reads frames in the background: a read cancelled on the response stream would abort the connection, so
    /// timeouts apply to the queue instead, and a test can wait for "nothing" and then go on reading.
    /// </summary>
    private async Task ReadFramesAsync()
    {
        string? id = null, type = null, comment = null;
        List<string>? data = null;
        try
        {
            while (await _reader.ReadLineAsync(_closed.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (comment is not null || data is not null)
                    {
                        _frames.Writer.TryWrite(new SseFrame(id, type ?? "message", data is null ? null : string.Join('\n', data), comment, _clock.Elapsed));
                    }

                    id = type = comment = null;
                    data = null;
                    continue; // a blank line also ends a "retry:" block
                }

                if (line[0] == ':')
                {
                    comment = line[1..].TrimStart();
                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..];
                if (value.StartsWith(' '))
                {
                    value = value[1..];
                }

                switch (field)
                {
                    case "id":
                        id = value;
                        break;
                    case "event":
                        type = value;
                        break;
                    case "data":
                        (data ??= []).Add(value);
                        break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or HttpRequestException)
        {
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    /// <summary>The next event, skipping heartbeat comments.</summary>
    public async Task<SseFrame> NextEventAsync(TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        while (true)
        {
            var remaining = limit - deadline.Elapsed;
            var frame = await NextAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1));
            if (!frame.IsComment)
            {
                return frame;
            }
        }
    }

    public async Task<List<SseFrame>> EventsAsync(int count, TimeSpan? timeout = null)
    {
        var events = new List<SseFrame>(count);
        for (var i = 0; i < count; i++)
        {
            events.Add(await NextEventAsync(timeout));
        }

        return events;
    }

    /// <summary>Asserts that no event (heartbeats aside) arrives within <paramref name="window"/>.</summary>
    public async Task ExpectNoEventAsync(TimeSpan window)
    {
        try
        {
            var frame = await NextEventAsync(window);
            Assert.Fail($"unexpected event {frame.Id}: {frame.Data}");
        }
        catch (TimeoutException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closed.CancelAsync();
        _response.Dispose(); // closes the connection: the server sees the client leave
        await _reading;
        _reader.Dispose();
        _http.Dispose();
        _closed.Dispose();
    }
}
