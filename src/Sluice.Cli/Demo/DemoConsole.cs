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
    /// <remarks>
    /// Reading stdin blocks (Console.In's ReadLineAsync too), and Sluice runs socket completions inline on
    /// the epoll thread (Program.cs): a continuation that reached a read of stdin from there would stop
    /// every socket of the process. So the commands get a thread of their own and block only it.
    /// </remarks>
    public Task RunAsync(TextReader input) =>
        Task.Factory.StartNew(() => ReadCommands(input), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void ReadCommands(TextReader input)
    {
        while (input.ReadLine() is { } line)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var answer = words switch
            {
                [] => null,
                ["stop", var name] => _instances.StopAsync(name).GetAwaiter().GetResult(),
                ["start", var name] => _instances.StartAsync(name).GetAwaiter().GetResult(),
                ["status"] => _instances.Status(),
                ["quit" or "exit"] => "stopping",
                _ => "commands: stop app-N, start app-N, status, quit",
            };

            if (answer is not null)
            {
                _stdout.WriteLine($"sluice demo: {answer}");
            }

            if (words is ["quit" or "exit"])
            {
                _quit.Cancel();
                return;
            }
        }
    }
}
