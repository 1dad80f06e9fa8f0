using System.Globalization;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Streaming;

/// <summary>
/// proxy_buffering as nginx does it, side by side with nginx: with buffering on the upstream is read into
/// memory buffers and a temp file, so it finishes (and is let go) long before a slow client does, and bytes
/// that trickle in are gathered into whole buffers; with buffering off, or without a temp file
/// (proxy_max_temp_file_size 0), the upstream goes at the client's pace and each write reaches the client at
/// once. The upstream's X-Accel-Buffering switches buffering unless proxy_ignore_headers names it.
/// </summary>
public sealed class ResponseBufferingDifferentialTests : IClassFixture<ResponseBufferingDifferentialTests.Fixture>
{
    private const long Large = 50L * 1024 * 1024;
    private readonly Fixture _fixture;
    private readonly ITestOutputHelper _output;

    public ResponseBufferingDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    private DifferentialRig Rig => _fixture.Rig;

    public sealed class Fixture : IAsyncLifetime
    {
        public DifferentialRig Rig { get; private set; } = null!;

        public ScriptedBackend Scripted { get; } = new();

        /// <summary>Per trickling request (by target): set once the client has seen its first body bytes.</summary>
        public Dictionary<string, TaskCompletionSource> FirstBytesSeen { get; } = [];

        public async Task InitializeAsync()
        {
            // Head and the first 100 bytes of 10,000, then — once the client saw them, or after two seconds — the rest.
            Scripted.On("/", async request =>
            {
                var accel = request.Target.Split('?', '&').FirstOrDefault(p => p.StartsWith("accel=", StringComparison.Ordinal));
                var header = accel is null ? "" : $"X-Accel-Buffering: {accel[6..]}\r\n";
                TaskCompletionSource seen;
                lock (FirstBytesSeen)
                {
                    seen = FirstBytesSeen[request.Target] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                await request.SendAsync($"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n{header}\r\n" + new string('a', 100));

                await Task.WhenAny(seen.Task, Task.Delay(TimeSpan.FromSeconds(2)));

                // Decided: a client that sees the first bytes from now on saw them after the rest was sent.
                seen.TrySetCanceled();
                await request.SendAsync(new string('b', 9900));
            });

            Rig = await DifferentialRig.StartAsync("""
                events {}
                http {
                    log_format times '$request_uri $status $upstream_response_time $request_time';
                    access_log {{LOGS}}/times.log times;
                    upstream backend { server {{B1}}; }
                    upstream scripted { server SCRIPTED; }
                    server {
                        listen {{LISTEN}};
                        location /buffered/ { proxy_pass http://backend/; }
                        location /unbuffered/ { proxy_pass http://backend/; proxy_buffering off; }
                        location /nofile/ { proxy_pass http://backend/; proxy_max_temp_file_size 0; }
                        location /on/ { proxy_pass http://scripted; }
                        location /off/ { proxy_pass http://scripted; proxy_buffering off; }
                        location /ignored/ { proxy_pass http://scripted; proxy_ignore_headers X-Accel-Buffering; }
                    }
                }
                """.Replace("SCRIPTED", Scripted.Address, StringComparison.Ordinal), 1);
        }

        public async Task DisposeAsync()
        {
            await Rig.DisposeAsync();
            await Scripted.DisposeAsync();
        }
    }

    [Fact]
    public async Task With_buffering_on_the_upstream_finishes_while_the_client_has_not_read()
    {
        var backend = Rig.Backends[0];
        foreach (var (who, port, log) in Servers())
        {
            var before = backend.BytesWritten;
            using var client = await RawHttpClient.ConnectAsync(port);
            await client.SendAsync($"GET /buffered/bytes/{Large}?{who} HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await client.ReadHeadAsync())!.Status);
            var (first, _) = await client.ReadBodyAsync(64 * 1024);

            // The client reads nothing more: the proxy takes the whole response into its buffers and temp file.
            await Eventually.TrueAsync(() => backend.BytesWritten - before == Large, $"{who} reads the whole response from the backend", TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(1));
            var (rest, reset) = await client.ReadBodyAsync(Large - first);
            Assert.False(reset);
            Assert.Equal(Large, first + rest);

            // $upstream_response_time ends with the upstream, a second (the client's pause) before $request_time.
            var line = await LoggedAsync(log, $"/buffered/bytes/{Large}?{who} ");
            var fields = line.Split(' ');
            var upstream = double.Parse(fields[2], CultureInfo.InvariantCulture);
            var total = double.Parse(fields[3], CultureInfo.InvariantCulture);
            _output.WriteLine($"{who}: {line}");
            Assert.True(upstream + 0.9 <= total, $"{who}: $upstream_response_time {upstream} should end a second before $request_time {total}");
        }
    }

    [Theory]
    [InlineData("/unbuffered/")]
    [InlineData("/nofile/")]
    public async Task Without_a_temp_file_the_upstream_goes_at_the_clients_pace(string location)
    {
        var backend = Rig.Backends[0];
        foreach (var (who, port, _) in Servers())
        {
            var before = backend.BytesWritten;
            using var client = await RawHttpClient.ConnectAsync(port);
            await client.SendAsync($"GET {location}bytes/{Large} HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await client.ReadHeadAsync())!.Status);
            var (first, _) = await client.ReadBodyAsync(64 * 1024);

            // 50 MB cannot all be in flight in socket and proxy buffers: the backend waits for the client.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var stalled = backend.BytesWritten - before;
            _output.WriteLine($"{who} {location}: the backend wrote {stalled / 1048576.0:0.0} MiB while the client did not read");
            Assert.True(stalled < Large, $"{who}: the backend finished while the client did not read");

            var (rest, reset) = await client.ReadBodyAsync(Large - first);
            Assert.False(reset);
            Assert.Equal(Large, first + rest);
        }
    }

    /// <summary>
    /// The backend sends its head and 100 bytes, then waits for the client to have seen them (at most two
    /// seconds) before the rest: streamed, the client sees them at once; buffered, it sees nothing — not even the
    /// head — until a buffer is full or the body complete.
    /// </summary>
    [Theory]
    [InlineData("/on/trickle", false)]
    [InlineData("/off/trickle", true)]
    [InlineData("/on/trickle?accel=no", true)]
    [InlineData("/off/trickle?accel=yes", false)]
    [InlineData("/ignored/trickle?accel=no", false)]
    public async Task Trickling_bytes_are_gathered_only_when_buffering(string target, bool streamed)
    {
        foreach (var (who, port, _) in Servers())
        {
            var unique = $"{target}{(target.Contains('?', StringComparison.Ordinal) ? '&' : '?')}{who}";
            using var client = await RawHttpClient.ConnectAsync(port);
            await client.SendAsync($"GET {unique} HTTP/1.1\r\nHost: a\r\n\r\n");
            var readHead = client.ReadHeadAsync();
            var firstBytes = readHead.ContinueWith(_ => client.ReadBodyAsync(100), TaskScheduler.Default).Unwrap();
            var finished = await Task.WhenAny(firstBytes, Task.Delay(TimeSpan.FromSeconds(10)));
            var seenBeforeTheRest = false;
            lock (_fixture.FirstBytesSeen)
            {
                if (finished == firstBytes && _fixture.FirstBytesSeen.TryGetValue(unique, out var seen))
                {
                    // The backend still waits if it has not sent the rest yet.
                    seenBeforeTheRest = seen.TrySetResult();
                }
            }

            Assert.Equal(200, (await readHead)!.Status);
            var (first, _) = await firstBytes;
            var (rest, reset) = await client.ReadBodyAsync(10000 - first);
            _output.WriteLine($"{who} {target}: the first bytes arrived {(seenBeforeTheRest ? "before" : "after")} the rest was sent");
            Assert.False(reset);
            Assert.Equal(10000, first + rest);
            Assert.Equal(streamed, seenBeforeTheRest);
        }
    }

    private IEnumerable<(string Who, int Port, Func<string> Log)> Servers() =>
    [
        ("nginx", Rig.NginxPort, () => Rig.NginxAccessLog("times.log")),
        ("sluice", Rig.SluicePort, () => Rig.SluiceAccessLog("times.log")),
    ];

    private static async Task<string> LoggedAsync(Func<string> log, string prefix)
    {
        string? line = null;
        await Eventually.TrueAsync(() => (line = log().Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))) is not null, $"a log line for {prefix}");
        return line!;
    }
}
