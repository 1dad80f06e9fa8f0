using Sluice.Hosting;

// The executable is thin: everything lives in the Sluice library so tests drive the same code.
var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
var stderr = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true };
return await SluiceProgram.RunAsync(args, stdout, stderr).ConfigureAwait(false);
