using Sluice.Cli.Demo;
using Sluice.Hosting;

// First of all, before the runtime's signal handling starts (Console below starts it): signals a shell or nohup
// left ignored would stay ignored, and "sluice -s quit" would do nothing.
UnixProcess.StopIgnoringControlSignals();

// Client and upstream TCP sockets run on Sluice's own event loops (src/Sluice/Transport); what still uses .NET's
// socket engine (Unix-domain listeners, the demo's Redis client) has its completions run on the epoll thread
// instead of hopping to the thread pool: Sluice's request path never blocks, and the hop (a futex wake and a
// context switch per read) is much of a proxy's cost. Read by the runtime when the first socket is made, so it
// must be set before anything opens one.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

// The executable is thin: everything lives in the Sluice library so tests drive the same code. The one
// command of its own is `sluice demo`, which needs the sample application tier.
var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
var stderr = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true };
if (args is ["demo", .. var demoArgs])
{
    return await DemoCommand.RunAsync(demoArgs, stdout, stderr).ConfigureAwait(false);
}

return await SluiceProgram.RunAsync(args, stdout, stderr).ConfigureAwait(false);
