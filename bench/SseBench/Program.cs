using SseBench;

// bench/run's SSE tool. Two modes, one clock (Stopwatch: CLOCK_MONOTONIC on Linux, shared by every process
// of the machine), so the client can subtract the send time the server wrote into each event:
//
//   SseBench serve  --port P [--port P ...] [--interval-ms 1000] [--padding 32]
//   SseBench client --url http://127.0.0.1:P/stream --streams N --seconds T [--ramp-seconds R] [--connect-concurrency C]
//
// The client prints "READY opened=N failed=N" once every stream has its first event (or the ramp ran out), holds
// the streams for T seconds, prints "CLOSING", closes them, then prints one "RESULT {json}" line; see bench/README.md.
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(Usage.Text);
    return args.Length == 0 ? 2 : 0;
}

try
{
    var options = Arguments.Parse(args.AsSpan(1));
    switch (args[0])
    {
        case "serve":
            await SseServer.RunAsync(ServerOptions.From(options)).ConfigureAwait(false);
            return 0;
        case "client":
            var result = await SseClient.RunAsync(ClientOptions.From(options), Console.Out).ConfigureAwait(false);
            Console.Out.WriteLine("RESULT " + result.ToJson());
            Console.Out.Flush();
            return 0;
        default:
            await Console.Error.WriteLineAsync($"SseBench: unknown mode \"{args[0]}\"\n{Usage.Text}").ConfigureAwait(false);
            return 2;
    }
}
catch (FormatException e)
{
    await Console.Error.WriteLineAsync($"SseBench: {e.Message}").ConfigureAwait(false);
    return 2;
}

internal static class Usage
{
    public const string Text = """
        usage: SseBench serve  --port P [--port P ...] [--interval-ms 1000] [--padding 32]
               SseBench client --url URL --streams N --seconds T [--ramp-seconds 30] [--connect-concurrency 64]
        serve:  an SSE backend on 127.0.0.1; GET /stream (or /sse) sends "id: SEQ" / "data: SEQ SENDTICKS" every interval.
        client: opens N streams to URL, holds them T seconds, prints READY then RESULT {json}.
        """;
}
