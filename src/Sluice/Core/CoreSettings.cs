using Sluice.Configuration.Directives;

namespace Sluice.Core;

/// <summary>The main-context settings (nginx's <c>ngx_core_module</c> and <c>ngx_events_module</c>).</summary>
public static class CoreSettings
{
    public static readonly Setting<bool?> Daemon = new("daemon", null);
    public static readonly Setting<bool> MasterProcess = new("master_process", true);
    public static readonly Setting<string?> Pid = new("pid", null);
    public static readonly Setting<string?> LockFile = new("lock_file", null);

    /// <summary>Worker count; 0 means <c>auto</c>. Sluice runs one process and sizes its thread pool from it.</summary>
    public static readonly Setting<int?> WorkerProcesses = new("worker_processes", null);
    public static readonly Setting<long?> WorkerRlimitNofile = new("worker_rlimit_nofile", null);
    public static readonly Setting<TimeSpan?> WorkerShutdownTimeout = new("worker_shutdown_timeout", null);
    public static readonly Setting<TimeSpan?> TimerResolution = new("timer_resolution", null);
    public static readonly Setting<string?> WorkingDirectory = new("working_directory", null);
    public static readonly Setting<bool> PcreJit = new("pcre_jit", false);
    public static readonly ListSetting<ErrorLogTarget> ErrorLogs = new("error_log");
    public static readonly ListSetting<string> Env = new("env");
    public static readonly Setting<bool> EventsSeen = new("events", false);

    public static readonly Setting<int?> WorkerConnections = new("worker_connections", null);
    public static readonly Setting<string?> EventMethod = new("use", null);
    public static readonly Setting<bool> MultiAccept = new("multi_accept", false);
    public static readonly Setting<bool> AcceptMutex = new("accept_mutex", false);
    public static readonly Setting<TimeSpan?> AcceptMutexDelay = new("accept_mutex_delay", null);
}
