using Sluice.Cli.Demo;
using Sluice.Hosting;

// The executable is thin: everything lives in the Sluice library so tests drive the same code. The one
// command of its own is `sluice demo`, which needs the sample application tier.
var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
var stderr = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true };
if (args is ["demo", .. var demoArgs])
{
    return await DemoCommand.RunAsync(demoArgs, stdout, stderr).ConfigureAwait(false);
}

return await SluiceProgram.RunAsync(args, stdout, stderr).ConfigureAwait(false);
