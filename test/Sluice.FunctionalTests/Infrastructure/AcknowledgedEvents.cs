using System.Text;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>
/// An SSE stream whose backend writes each event only after the client said it saw the previous one (or after
/// a bounded wait): no clock decides whether an event arrived "at once", the order of events does. A proxy
/// that delivers each write as it comes lets every event through before the next; one that gathers writes
/// holds them until the backend gives up waiting.
/// </summary>
public sealed class AcknowledgedEvents
{
    private readonly Dictionary<string, TaskCompletionSource[]> _streams = [];

    /// <summary>
    /// The backend's side (for a <see cref="ScriptedBackend"/>): a chunked text/event-stream of
    /// <paramref name="events"/> events "data: event N", each written once event N-1 was seen or
    /// <paramref name="wait"/> passed.
    /// </summary>
    public Func<ScriptedRequest, Task> Script(int events, TimeSpan wait) => async request =>
    {
        var seen = Enumerable.Range(0, events).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        lock (_streams)
        {
            _streams[request.Target] = seen;
        }

        await request.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (var i = 0; i < events; i++)
        {
            var data = $"data: event {i}\n\n";
            await request.SendAsync($"{data.Length:x}\r\n{data}\r\n");
            await Task.WhenAny(seen[i].Task, Task.Delay(wait, request.Stopping));

            // Decided: from now on the client sees event i after the backend went on without it.
            seen[i].TrySetCanceled();
        }

        await request.SendAsync("0\r\n\r\n");
    };

    /// <summary>
    /// The client's side: requests <paramref name="target"/> and reads the stream to its end, telling the backend
    /// of each event as it arrives; returns how many arrived before the backend went on to the next.
    /// </summary>
    public async Task<int> ReadAsync(int port, string target, int events, string extraHeaders = "")
    {
        using var client = await RawHttpClient.ConnectAsync(port);
        await client.SendAsync($"GET {target} HTTP/1.1\r\nHost: a\r\n{extraHeaders}\r\n");
        var head = await client.ReadHeadAsync();
        if (head?.Status != 200)
        {
            throw new InvalidOperationException($"{target}: {head?.StatusLine ?? "no response"}");
        }

        var text = new StringBuilder();
        var inTime = 0;
        var next = 0;
        var buffer = new byte[4096];
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (next < events)
        {
            var read = await client.ReadSomeAsync(buffer, limit.Token);
            if (read <= 0)
            {
                break;
            }

            text.Append(Encoding.Latin1.GetString(buffer, 0, read));
            while (next < events && text.ToString().Contains($"data: event {next}\n", StringComparison.Ordinal))
            {
                TaskCompletionSource[] seen;
                lock (_streams)
                {
                    seen = _streams[target];
                }

                if (seen[next].TrySetResult())
                {
                    inTime++;
                }

                next++;
            }
        }

        return next == events ? inTime : throw new InvalidOperationException($"{target}: {next} of {events} events arrived");
    }
}
