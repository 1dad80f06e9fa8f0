namespace Sluice.Cli.Demo;

/// <summary>The demo's commands on stdin: <c>stop app-N</c>, <c>start app-N</c>, <c>status</c>, <c>quit</c>.</summary>
internal sealed class DemoConsole
{
    private readonly DemoInstances _instances;
    private readonly TextWriter _stdout;
    private readonly CancellationTokenSource _quit;

    public DemoConsole(DemoInstances instances, TextWriter stdout, CancellationTokenSource quit)
    {
        _instances = instances;
        _stdout = stdout;
        _quit = quit;
    }

    /// <summary>Reads commands until stdin ends (then the demo simply goes on until Ctrl-C) or "quit".</summary>
    public async Task RunAsync(TextReader input)
    {
        while (await input.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var answer = words switch
            {
                [] => null,
                ["stop", var name] => await _instances.StopAsync(name).ConfigureAwait(false),
                ["start", var name] => await _instances.StartAsync(name).ConfigureAwait(false),
                ["status"] => _instances.Status(),
                ["quit" or "exit"] => "stopping",
                _ => "commands: stop app-N, start app-N, status, quit",
            };

            if (answer is not null)
            {
                await _stdout.WriteLineAsync($"sluice demo: {answer}").ConfigureAwait(false);
            }

            if (words is ["quit" or "exit"])
            {
                await _quit.CancelAsync().ConfigureAwait(false);
                return;
            }
        }
    }
}
