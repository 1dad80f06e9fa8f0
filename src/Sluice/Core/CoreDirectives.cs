using Sluice.Configuration;
using Sluice.Configuration.Directives;
using static Sluice.Configuration.Directives.DirectiveArity;
using static Sluice.Configuration.Directives.DirectiveContext;

namespace Sluice.Core;

/// <summary>
/// The main-context and <c>events</c> directives (nginx's core, errlog, conf and events modules).
/// Sluice is one process with a thread pool, so the worker and accept tuning directives are validated
/// as nginx validates them and otherwise only inform sizing.
/// </summary>
internal static class CoreDirectives
{
    public static void Register(DirectiveTable table)
    {
        table.Add(new DirectiveSpec("include", DirectiveContext.Any, Take1, Include) { Module = "core" });

        table.Add(new DirectiveSpec("daemon", Main, DirectiveArity.Flag, Daemon) { Module = "core" });
        table.Add(new DirectiveSpec("master_process", Main, DirectiveArity.Flag, Slots.Flag(CoreSettings.MasterProcess), DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("pid", Main, Take1, Slots.Str(CoreSettings.Pid)) { Module = "core" });
        table.Add(new DirectiveSpec("lock_file", Main, Take1, Slots.Str(CoreSettings.LockFile), DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("worker_processes", Main, Take1, WorkerProcesses, DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("worker_rlimit_nofile", Main, Take1, Slots.Number(CoreSettings.WorkerRlimitNofile), DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("worker_rlimit_core", Main, Take1, OffsetIgnored, DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("worker_priority", Main, Take1, Slots.Ignore, DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("worker_cpu_affinity", Main, OneOrMore, Slots.Ignore, DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("worker_shutdown_timeout", Main, Take1, Slots.Msec(CoreSettings.WorkerShutdownTimeout), DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("timer_resolution", Main, Take1, Slots.Msec(CoreSettings.TimerResolution), DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("working_directory", Main, Take1, Slots.Str(CoreSettings.WorkingDirectory), DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("pcre_jit", Main, DirectiveArity.Flag, Slots.Flag(CoreSettings.PcreJit), DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("user", Main, Take12, User, DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("env", Main, Take1, Slots.StrArray(CoreSettings.Env), DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("load_module", Main, Take1, LoadModule, DirectiveSupport.Accepted) { Module = "core" });
        table.Add(new DirectiveSpec("error_log", Main, OneOrMore, call => ErrorLog(call, CoreSettings.ErrorLogs)) { Module = "core" });

        table.Add(new DirectiveSpec("events", Main, Block | NoArgs, Events) { Module = "events" });
        table.Add(new DirectiveSpec("worker_connections", DirectiveContext.Events, Take1, WorkerConnections, DirectiveSupport.Accepted) { Module = "events" });
        table.Add(new DirectiveSpec("use", DirectiveContext.Events, Take1, Use, DirectiveSupport.Accepted) { Module = "events" });
        table.Add(new DirectiveSpec("multi_accept", DirectiveContext.Events, DirectiveArity.Flag, Slots.Flag(CoreSettings.MultiAccept), DirectiveSupport.Accepted) { Module = "events" });
        table.Add(new DirectiveSpec("accept_mutex", DirectiveContext.Events, DirectiveArity.Flag, Slots.Flag(CoreSettings.AcceptMutex), DirectiveSupport.Accepted) { Module = "events" });
        table.Add(new DirectiveSpec("accept_mutex_delay", DirectiveContext.Events, Take1, Slots.Msec(CoreSettings.AcceptMutexDelay), DirectiveSupport.Accepted) { Module = "events" });
        table.Add(new DirectiveSpec("worker_aio_requests", DirectiveContext.Events, Take1, Slots.Ignore, DirectiveSupport.Accepted) { Module = "events" });
        table.Add(new DirectiveSpec("debug_connection", DirectiveContext.Events, Take1, Slots.Ignore, DirectiveSupport.Accepted) { Module = "events" });
    }

    private static void Include(DirectiveCall call)
    {
        foreach (var file in call.Directive.Included ?? [])
        {
            call.Compiler.WalkNodes(file.Nodes, call.Scope);
        }

        if (call.Directive.IncludeError is { } error)
        {
            throw error.ToException();
        }
    }

    private static void Daemon(DirectiveCall call)
    {
        call.EnsureNotSet(CoreSettings.Daemon);
        var on = call.ParseFlag(call.Args[0]);
        call.Set<bool?>(CoreSettings.Daemon, on);
        if (on)
        {
            call.Warn("Sluice does not daemonize: \"daemon on\" is ignored and the process stays in the foreground (use a service manager)");
        }
    }

    private static void WorkerProcesses(DirectiveCall call)
    {
        call.EnsureNotSet(CoreSettings.WorkerProcesses);
        var value = call.Args[0];
        if (value == "auto")
        {
            call.Set<int?>(CoreSettings.WorkerProcesses, 0);
            return;
        }

        if (!Configuration.Values.NginxValues.TryParseInt(value, out var count))
        {
            throw call.DirectiveError("invalid value");
        }

        call.Set<int?>(CoreSettings.WorkerProcesses, count);
    }

    private static void OffsetIgnored(DirectiveCall call) => call.ParseOffset(call.Args[0]);

    /// <summary>
    /// nginx warns and ignores <c>user</c> unless it runs as root; as root it checks the user and group exist.
    /// Sluice keeps both behaviours (it does not switch users: run it under the account you want).
    /// </summary>
    private static void User(DirectiveCall call)
    {
        if (!call.Compiler.Environment.IsSuperUser)
        {
            call.Warn("the \"user\" directive makes sense only if the master process runs with super-user privileges, ignored");
            return;
        }

        call.EnsureNotSet(UserSetting);
        var user = call.Args[0];
        if (!call.Compiler.Environment.UserExists(user))
        {
            throw call.Error($"getpwnam(\"{user}\") failed");
        }

        var group = call.Args.Length == 2 ? call.Args[1] : user;
        if (!call.Compiler.Environment.GroupExists(group))
        {
            throw call.Error($"getgrnam(\"{group}\") failed");
        }

        call.Set(UserSetting, user);
    }

    private static readonly Setting<string?> UserSetting = new("user", null);

    private static void LoadModule(DirectiveCall call) =>
        call.Warn($"Sluice has no dynamic modules: \"load_module {call.Args[0]}\" is ignored");

    /// <summary><c>error_log</c> in any context (nginx's <c>ngx_log_set_log</c> and <c>ngx_log_set_levels</c>).</summary>
    internal static void ErrorLog(DirectiveCall call, ListSetting<ErrorLogTarget> setting)
    {
        var target = call.Args[0];
        ErrorLogKind kind;
        var path = "";
        if (target == "stderr")
        {
            kind = ErrorLogKind.Stderr;
        }
        else if (target.StartsWith("memory:", StringComparison.Ordinal))
        {
            if (!Configuration.Values.NginxValues.TryParseSize(target.AsSpan(7), out _))
            {
                throw call.Error($"invalid buffer size \"{target[7..]}\"");
            }

            kind = ErrorLogKind.Memory;
        }
        else if (target.StartsWith("syslog:", StringComparison.Ordinal))
        {
            kind = ErrorLogKind.Syslog;
            path = target[7..];
            call.NotImplemented("the \"syslog:\" target of the \"error_log\" directive");
        }
        else
        {
            kind = ErrorLogKind.File;
            path = call.Compiler.Environment.FullPath(target);
            call.Compiler.State<OpenFileRegistry>().Add(path);
        }

        LogLevel? level = null;
        for (var i = 1; i < call.Args.Length; i++)
        {
            var word = call.Args[i];
            if (LogLevels.TryParse(word, out var parsed))
            {
                if (level is not null)
                {
                    throw call.Error($"duplicate log level \"{word}\"");
                }

                level = parsed;
                continue;
            }

            if (LogLevels.IsDebugMask(word) && (level is null || level == LogLevel.Debug))
            {
                level = LogLevel.Debug;
                continue;
            }

            throw call.Error($"invalid log level \"{word}\"");
        }

        call.Scope.ListHere(setting).Add(new ErrorLogTarget(kind, path, level ?? LogLevel.Error));
    }

    private static void Events(DirectiveCall call)
    {
        if (call.Scope.Get(CoreSettings.EventsSeen))
        {
            throw call.Duplicate();
        }

        call.Set(CoreSettings.EventsSeen, true);
        var scope = new ConfScope(DirectiveContext.Events, call.Scope, call.Location);
        call.WalkBlock(scope);
        CopyUp(scope, call.Scope, CoreSettings.WorkerConnections);
        CopyUp(scope, call.Scope, CoreSettings.EventMethod);
        CopyUp(scope, call.Scope, CoreSettings.MultiAccept);
        CopyUp(scope, call.Scope, CoreSettings.AcceptMutex);
        CopyUp(scope, call.Scope, CoreSettings.AcceptMutexDelay);
    }

    private static void CopyUp<T>(ConfScope from, ConfScope to, Setting<T> setting)
    {
        if (from.TryGetHere(setting, out var value))
        {
            to.Replace(setting, value, from.WhereSet(setting) ?? from.Location);
        }
    }

    private static void WorkerConnections(DirectiveCall call)
    {
        call.EnsureNotSet(CoreSettings.WorkerConnections);
        if (!Configuration.Values.NginxValues.TryParseInt(call.Args[0], out var count))
        {
            throw call.Error($"invalid number \"{call.Args[0]}\"");
        }

        call.Set<int?>(CoreSettings.WorkerConnections, count);
    }

    /// <summary>Only the epoll method exists in the Debian nginx build this mirrors; Kestrel uses epoll on Linux.</summary>
    private static void Use(DirectiveCall call)
    {
        call.EnsureNotSet(CoreSettings.EventMethod);
        if (call.Args[0] != "epoll")
        {
            throw call.Error($"invalid event type \"{call.Args[0]}\"");
        }

        call.Set(CoreSettings.EventMethod, call.Args[0]);
    }
}
