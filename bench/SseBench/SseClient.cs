using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace SseBench;

/// <summary>
/// The SSE load client: opens <see cref="ClientOptions.Streams"/> streams (each its own HTTP/1.1 connection,
/// at most <see cref="ClientOptions.ConnectConcurrency"/> being set up at once), waits until every one has its
/// first event (at most <see cref="ClientOptions.Ramp"/>), says READY, holds them for
/// <see cref="ClientOptions.Hold"/>, then closes them and reports. Latency is receive time − the send time in
/// the event, for events received during the hold (the steady state); events, lost and reordered count over
/// each stream's whole life; a stream that ends before the client closes it is dropped. Prints READY when the
/// hold starts and CLOSING when it ends, so that the caller can measure the proxy in between.
/// </summary>
internal static class SseClient
{
    public static async Task<ClientResult> RunAsync(ClientOptions options, TextWriter progress)
    {
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var stop = new CancellationTokenSource();
        using var connectGate = new SemaphoreSlim(options.ConnectConcurrency);
        var run = new RunState();
        var streams = new StreamState[options.Streams];
        var tasks = new Task[options.Streams];
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < streams.Length; i++)
        {
            streams[i] = new StreamState();
            var url = new Uri(options.Url, $"?stream={i}");
            tasks[i] = RunStreamAsync(client, url, streams[i], connectGate, run, stop.Token);
        }

        // Ready when every stream is open or failed, or when the ramp runs out (the rest count as failed).
        var rampDeadline = started + (long)(options.Ramp.TotalSeconds * Stopwatch.Frequency);
        while (Volatile.Read(ref run.Settled) < options.Streams && Stopwatch.GetTimestamp() < rampDeadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        var rampSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Volatile.Write(ref run.HoldStart, Stopwatch.GetTimestamp());
        await progress.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"READY opened={Volatile.Read(ref run.Opened)} failed={Volatile.Read(ref run.Failed)} ramp_s={rampSeconds:F2}")).ConfigureAwait(false);
        await progress.FlushAsync().ConfigureAwait(false);

        await Task.Delay(options.Hold).ConfigureAwait(false);
        Volatile.Write(ref run.Stopping, 1);

        // The caller stops counting the hold's CPU time here: closing the streams is measured on its own.
        await progress.WriteLineAsync("CLOSING").ConfigureAwait(false);
        await progress.FlushAsync().ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return ClientResult.From(options, streams, rampSeconds);
    }

    private static async Task RunStreamAsync(HttpClient client, Uri url, StreamState state, SemaphoreSlim gate, RunState run, CancellationToken stop)
    {
        await Task.Yield();
        var holdingGate = false;
        try
        {
            await gate.WaitAsync(stop).ConfigureAwait(false);
            holdingGate = true;
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stop).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                state.Error = $"status {(int)response.StatusCode}";
                return;
            }

            using var body = await response.Content.ReadAsStreamAsync(stop).ConfigureAwait(false);
            using var reader = new StreamReader(body);
            while (true)
            {
                var line = await reader.ReadLineAsync(stop).ConfigureAwait(false);
                var received = Stopwatch.GetTimestamp();
                if (line is null)
                {
                    state.Error = "end of stream";
                    break;
                }

                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }

                state.Record(line.AsSpan(6), received, Volatile.Read(ref run.HoldStart));
                if (!state.Opened)
                {
                    state.Opened = true;
                    Interlocked.Increment(ref run.Opened);
                    Interlocked.Increment(ref run.Settled);
                    gate.Release();
                    holdingGate = false;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Closed by the client at the end of the hold (or the ramp ran out before it opened).
            return;
        }
        catch (HttpRequestException e)
        {
            state.Error = e.Message;
        }
        catch (IOException e)
        {
            state.Error = e.Message;
        }
        finally
        {
            if (holdingGate)
            {
                gate.Release();
            }
        }

        // The stream ended by itself: before its first event it failed, after it it was dropped.
        if (state.Opened)
        {
            state.Dropped = Volatile.Read(ref run.Stopping) == 0;
        }
        else
        {
            Interlocked.Increment(ref run.Failed);
            Interlocked.Increment(ref run.Settled);
        }
    }

    /// <summary>Counters shared by the streams of one run.</summary>
    private sealed class RunState
    {
        public int Opened;
        public int Failed;
        public int Settled;
        public int Stopping;

        /// <summary>0 until READY; latencies count from then on.</summary>
        public long HoldStart;
    }
}

/// <summary>What one stream saw.</summary>
internal sealed class StreamState
{
    public bool Opened { get; set; }

    public bool Dropped { get; set; }

    public string? Error { get; set; }

    public long Events { get; private set; }

    public long Lost { get; private set; }

    public long Reordered { get; private set; }

    public long LastSeq { get; private set; } = -1;

    /// <summary>Receive − send, in Stopwatch ticks, of the events received during the hold.</summary>
    public List<long> Latencies { get; } = [];

    /// <summary>One event's data: <c>SEQ SENDTICKS PADDING</c>.</summary>
    public void Record(ReadOnlySpan<char> data, long received, long holdStart)
    {
        var space = data.IndexOf(' ');
        if (space <= 0)
        {
            return;
        }

        var rest = data[(space + 1)..];
        var end = rest.IndexOf(' ');
        if (!long.TryParse(data[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            || !long.TryParse(end < 0 ? rest : rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var sent))
        {
            return;
        }

        Events++;
        if (seq > LastSeq + 1)
        {
            Lost += seq - LastSeq - 1;
        }
        else if (seq <= LastSeq)
        {
            Reordered++;
        }

        LastSeq = Math.Max(LastSeq, seq);
        if (holdStart != 0 && received >= holdStart)
        {
            Latencies.Add(received - sent);
        }
    }
}

/// <summary>The RESULT line: counts and latency percentiles in milliseconds.</summary>
internal sealed record ClientResult(
    int Streams,
    int Opened,
    int Failed,
    int Dropped,
    long Events,
    long Lost,
    long Reordered,
    long LatencySamples,
    double P50Ms,
    double P99Ms,
    double P999Ms,
    double MaxMs,
    double RampSeconds,
    double HoldSeconds,
    string? FirstError)
{
    public static ClientResult From(ClientOptions options, StreamState[] streams, double rampSeconds)
    {
        var all = streams.SelectMany(s => s.Latencies).ToArray();
        Array.Sort(all);
        return new ClientResult(
            options.Streams,
            streams.Count(s => s.Opened),
            streams.Count(s => !s.Opened),
            streams.Count(s => s.Dropped),
            streams.Sum(s => s.Events),
            streams.Sum(s => s.Lost),
            streams.Sum(s => s.Reordered),
            all.Length,
            Percentile(all, 50),
            Percentile(all, 99),
            Percentile(all, 99.9),
            all.Length == 0 ? double.NaN : Milliseconds(all[^1]),
            rampSeconds,
            options.Hold.TotalSeconds,
            streams.Select(s => s.Error).FirstOrDefault(e => e is not null));
    }

    /// <summary>Nearest rank.</summary>
    private static double Percentile(long[] sorted, double percent)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return Milliseconds(sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)]);
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("streams", Streams);
            json.WriteNumber("opened", Opened);
            json.WriteNumber("failed", Failed);
            json.WriteNumber("dropped", Dropped);
            json.WriteNumber("events", Events);
            json.WriteNumber("lost", Lost);
            json.WriteNumber("reordered", Reordered);
            json.WriteNumber("latency_samples", LatencySamples);
            Number(json, "p50_ms", P50Ms);
            Number(json, "p99_ms", P99Ms);
            Number(json, "p999_ms", P999Ms);
            Number(json, "max_ms", MaxMs);
            Number(json, "ramp_s", RampSeconds);
            Number(json, "hold_s", HoldSeconds);
            if (FirstError is null)
            {
                json.WriteNull("first_error");
            }
            else
            {
                json.WriteString("first_error", FirstError);
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Number(System.Text.Json.Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, Math.Round(value, 3));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
