using Sluice.Configuration;
using Sluice.Core;

namespace Sluice.Hosting;

/// <summary>
/// The checks nginx runs after a configuration parsed and before it is accepted (the rest of
/// <c>ngx_init_cycle</c>): the pid file can be created, every log file can be opened for append,
/// every shared zone has a size. <c>-t</c> runs them too, so it fails where startup would.
/// </summary>
public static class ConfigActivation
{
    /// <summary>Throws a <see cref="ConfigException"/> with nginx's wording for the first failing check.</summary>
    public static void Check(ConfigCompiler compiler, bool testOnly)
    {
        var core = CoreConfig.From(compiler);
        if (testOnly)
        {
            OpenOrFail(core.PidPath, PidFile.Probe);
        }

        foreach (var path in compiler.State<OpenFileRegistry>().Paths)
        {
            OpenOrFail(path, static p =>
            {
                using var stream = new FileStream(p, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            });
        }

        compiler.State<SharedZoneRegistry>().CheckSizes();
    }

    private static void OpenOrFail(string path, Action<string> open)
    {
        try
        {
            open(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var (errno, text) = Errno.From(e);
            throw new ConfigException($"open() \"{path}\" failed ({errno}: {text})", (Configuration.Syntax.SourceLocation?)null);
        }
    }
}
