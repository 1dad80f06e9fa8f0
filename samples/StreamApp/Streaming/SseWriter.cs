using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using StreamApp.Store;

namespace StreamApp.Streaming;

/// <summary>
/// Frames Server-Sent Events straight into the response pipe: <c>id: N\nevent: type\ndata: json\n\n</c>, and
/// comments (<c>: text\n\n</c>) that clients ignore but that keep proxies and load balancers from timing the
/// connection out. Nothing is sent until <see cref="FlushAsync"/>.
/// </summary>
internal sealed class SseWriter : IDisposable
{
    private readonly PipeWriter _pipe;
    private readonly string _instance;
    private readonly Utf8JsonWriter _json;

    public SseWriter(PipeWriter pipe, string instance)
    {
        _pipe = pipe;
        _instance = instance;
        _json = new Utf8JsonWriter(pipe, new JsonWriterOptions { Indented = false, SkipValidation = false });
    }

    public void WriteEvent(StoredEvent storedEvent)
    {
        Write("id: ");
        Write(storedEvent.Id.ToString());
        Write("\nevent: ");
        Write(storedEvent.Type);
        Write("\ndata: ");

        _json.Reset(_pipe);
        _json.WriteStartObject();
        _json.WriteString("id", storedEvent.Id.ToString());
        _json.WriteString("channel", storedEvent.Channel);
        _json.WriteString("event", storedEvent.Type);
        _json.WriteString("instance", _instance);
        _json.WriteString("origin", storedEvent.Origin);
        _json.WriteString("timestamp", storedEvent.Timestamp);
        _json.WritePropertyName("data");
        WriteData(storedEvent.Data);
        _json.WriteEndObject();
        _json.Flush();

        Write("\n\n");
    }

    public void WriteComment(string text)
    {
        Write(": ");
        Write(text);
        Write("\n\n");
    }

    /// <summary>Tells EventSource how long to wait before reconnecting (it then sends Last-Event-ID).</summary>
    public void WriteRetry(int milliseconds)
    {
        Write("retry: ");
        Write(milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Write("\n\n");
    }

    /// <summary>Sends what was written; false when the client is gone.</summary>
    public async ValueTask<bool> FlushAsync(CancellationToken cancellationToken)
    {
        var result = await _pipe.FlushAsync(cancellationToken);
        return !result.IsCanceled && !result.IsCompleted;
    }

    public void Dispose() => _json.Dispose();

    private void WriteData(string data)
    {
        // The publish endpoint stores compact JSON. An entry written to Redis by some other producer might not be:
        // a line break would end the SSE data line, invalid JSON would break the client's parser — send either as a
        // JSON string rather than lose the stream.
        if (data.AsSpan().IndexOfAny('\r', '\n') < 0)
        {
            try
            {
                _json.WriteRawValue(data, skipInputValidation: false);
                return;
            }
            catch (Exception e) when (e is JsonException or ArgumentException)
            {
            }
        }

        _json.WriteStringValue(data);
    }

    private void Write(string text) => Encoding.UTF8.GetBytes(text, _pipe);
}
