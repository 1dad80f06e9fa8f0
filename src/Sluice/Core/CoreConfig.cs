using Sluice.Configuration;
using Sluice.Configuration.Directives;
using Sluice.Hosting;

namespace Sluice.Core;

/// <summary>The main-context settings of a loaded configuration, typed and resolved to full paths.</summary>
public sealed record CoreConfig
{
    public required string PidPath { get; init; }

    public required IReadOnlyList<ErrorLogTarget> ErrorLogs { get; init; }

    /// <summary>Worker threads hint; 0 is <c>auto</c> (one per core).</summary>
    public int WorkerProcesses { get; init; }

    public int WorkerConnections { get; init; }

    public TimeSpan? WorkerShutdownTimeout { get; init; }

    public IReadOnlyList<string> Env { get; init; } = [];

    public static CoreConfig From(ConfigCompiler compiler)
    {
        var main = compiler.Main;
        var pid = main.Get(CoreSettings.Pid) ?? ProductInfo.DefaultPidPath;
        return new CoreConfig
        {
            PidPath = compiler.Environment.FullPath(pid),
            ErrorLogs = [.. main.GetList(CoreSettings.ErrorLogs)],
            WorkerProcesses = main.Get(CoreSettings.WorkerProcesses) ?? 1,
            WorkerConnections = main.Get(CoreSettings.WorkerConnections) ?? 512,
            WorkerShutdownTimeout = main.Get(CoreSettings.WorkerShutdownTimeout),
            Env = [.. main.GetList(CoreSettings.Env)],
        };
    }
}
