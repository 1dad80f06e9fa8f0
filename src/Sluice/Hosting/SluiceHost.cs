using System.Runtime.InteropServices;
using System.Threading.Channels;
using Sluice.Configuration;
using Sluice.Core;
using Sluice.Http.Runtime;
using Sluice.Logging;

namespace Sluice.Hosting;

/// <summary>
/// The running server process: opens the error log, binds listeners, writes the pid file, and reacts to
/// signals as nginx's master does — HUP reloads (a broken configuration is logged and the running one
/// kept), USR1 reopens logs, QUIT drains and exits, TERM and INT exit at once. The pid file is removed at exit.
/// </summary>
public sealed class SluiceHost : IRuntimeSource, IAsyncDisposable
{
    private readonly ProcessPaths _paths;
    private readonly CommandLineOptions _options;
    private readonly TextWriter _stderr;
    private readonly TimeProvider _time;
    private readonly Channel<int> _signals = Channel.CreateUnbounded<int>();
    private readonly ServerCounters _counters = new();
    private readonly LogFiles _logFiles = new();
    private ConfigLoadResult _current;
    private HttpRuntime? _http;
    private IReadOnlyDictionary<Type, object> _carry = new Dictionary<Type, object>();

    public SluiceHost(ProcessPaths paths, CommandLineOptions options, ConfigLoadResult loaded, TextWriter stderr, TimeProvider time)
    {
        _paths = paths;
        _options = options;
        _current = loaded;
        _stderr = stderr;
        _time = time;
    }

    /// <summary>Raised after a reload was applied (tests wait on it).</summary>
    public event Action<int>? Reloaded;

    /// <summary>The generation new requests are served with.</summary>
    public HttpRuntime? Current => Volatile.Read(ref _http);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var core = CoreConfig.From(_current.Compiled!);
        await using var stderrWriter = new StderrWriter(_stderr);
        var errorLog = new ErrorLog(core.ErrorLogs, _logFiles, _time, stderrWriter);
        await using var listeners = new HttpListeners(this, _counters);
        var registrations = RegisterSignals();
        try
        {
            _http = BuildRuntime(_current.Compiled!, errorLog);
            if (_http is not null)
            {
                await listeners.OpenAsync(_http, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ConfigException e)
        {
            errorLog.Write(LogLevel.Emerg, e.Render());
            await errorLog.FlushAsync().ConfigureAwait(false);
            DisposeAll(registrations);
            return 1;
        }

        try
        {
            // The pid file is written only once the listeners are bound, as nginx does.
            PidFile.Write(core.PidPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var (errno, text) = Errno.From(e);
            errorLog.Write(LogLevel.Emerg, $"open() \"{core.PidPath}\" failed ({errno}: {text})");
            await errorLog.FlushAsync().ConfigureAwait(false);
            DisposeAll(registrations);
            return 1;
        }

        errorLog.Write(LogLevel.Notice, ProductInfo.NameAndVersion);
        errorLog.Write(LogLevel.Notice, $"OS: {RuntimeInformation.OSDescription.Trim()}");
        errorLog.Write(LogLevel.Notice, "start worker processes");
        var reloads = 0;
        var pidPath = core.PidPath;
        try
        {
            using var stop = cancellationToken.Register(() => _signals.Writer.TryWrite(UnixProcess.SIGTERM));
            while (true)
            {
                var signal = await _signals.Reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                switch (signal)
                {
                    case UnixProcess.SIGHUP:
                        errorLog.Write(LogLevel.Notice, "signal 1 (SIGHUP) received, reconfiguring");
                        if (await ReloadAsync(errorLog, listeners).ConfigureAwait(false))
                        {
                            var next = CoreConfig.From(_current.Compiled!);
                            errorLog.Retarget(next.ErrorLogs);
                            if (next.PidPath != pidPath)
                            {
                                PidFile.Write(next.PidPath);
                                PidFile.Remove(pidPath);
                                pidPath = next.PidPath;
                            }

                            reloads++;
                            await errorLog.FlushAsync().ConfigureAwait(false);
                            Reloaded?.Invoke(reloads);
                        }

                        break;
                    case UnixProcess.SIGUSR1:
                        errorLog.Write(LogLevel.Notice, "signal 10 (SIGUSR1) received, reopening logs");
                        _logFiles.ReopenAll();
                        break;
                    case UnixProcess.SIGQUIT:
                        errorLog.Write(LogLevel.Notice, "signal 3 (SIGQUIT) received, shutting down");
                        errorLog.Write(LogLevel.Notice, "gracefully shutting down");
                        await listeners.CloseAllAsync(core.WorkerShutdownTimeout ?? TimeSpan.FromMinutes(10)).ConfigureAwait(false);
                        return 0;
                    default:
                        errorLog.Write(LogLevel.Notice, signal == UnixProcess.SIGINT
                            ? "signal 2 (SIGINT) received, exiting"
                            : "signal 15 (SIGTERM) received, exiting");
                        await listeners.CloseAllAsync(TimeSpan.Zero).ConfigureAwait(false);
                        return 0;
                }
            }
        }
        finally
        {
            DisposeAll(registrations);
            PidFile.Remove(pidPath);
            errorLog.Write(LogLevel.Notice, "exit");
            await errorLog.FlushAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _logFiles.DisposeAsync();

    /// <summary>Loads the configuration again; on failure logs why and keeps the running one.</summary>
    private async Task<bool> ReloadAsync(ErrorLog errorLog, HttpListeners listeners)
    {
        var environment = new ConfigEnvironment { Prefix = _paths.Prefix, ConfPrefix = _paths.ConfPrefix };
        var loaded = new ConfigLoader(environment).Load(_paths.ConfFile, _options.Directives);
        foreach (var diagnostic in loaded.Messages)
        {
            errorLog.Write(StartupLog.ToLevel(diagnostic.Level), diagnostic.Text);
        }

        if (!loaded.IsValid)
        {
            return false;
        }

        HttpRuntime? next;
        try
        {
            ConfigActivation.Check(loaded.Compiled!, testOnly: false);
            if (!loaded.NotImplemented.IsEmpty)
            {
                foreach (var diagnostic in loaded.NotImplemented)
                {
                    errorLog.Write(StartupLog.ToLevel(diagnostic.Level), diagnostic.Text);
                }

                return false;
            }

            next = BuildRuntime(loaded.Compiled!, errorLog);
            if (next is not null)
            {
                await listeners.OpenAsync(next, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (ConfigException e)
        {
            errorLog.Write(LogLevel.Emerg, e.Render());
            return false;
        }

        // Requests already running keep the generation they started with; new ones get this one.
        Volatile.Write(ref _http, next);
        _current = loaded;
        var drain = CoreConfig.From(loaded.Compiled!).WorkerShutdownTimeout ?? TimeSpan.FromMinutes(10);
        _ = listeners.CloseUnusedAsync(next, drain);
        return true;
    }

    private HttpRuntime? BuildRuntime(ConfigCompiler compiled, ErrorLog errorLog)
    {
        var runtime = HttpRuntimeBuilder.Build(compiled, HttpFeatures.All, _time, _counters, errorLog, _logFiles, _carry, out var carry);
        _carry = carry;
        return runtime;
    }

    private List<PosixSignalRegistration> RegisterSignals()
    {
        var list = new List<PosixSignalRegistration>();
        if (OperatingSystem.IsWindows())
        {
            return list;
        }

        foreach (var number in new[] { UnixProcess.SIGHUP, UnixProcess.SIGINT, UnixProcess.SIGQUIT, UnixProcess.SIGTERM, UnixProcess.SIGUSR1 })
        {
            list.Add(PosixSignalRegistration.Create((PosixSignal)RawSignal(number), context =>
            {
                context.Cancel = true;
                _signals.Writer.TryWrite(number);
            }));
        }

        return list;
    }

    /// <summary>.NET names the portable signals with negative values; others are passed as raw numbers.</summary>
    private static int RawSignal(int number) => number switch
    {
        UnixProcess.SIGHUP => (int)PosixSignal.SIGHUP,
        UnixProcess.SIGINT => (int)PosixSignal.SIGINT,
        UnixProcess.SIGQUIT => (int)PosixSignal.SIGQUIT,
        UnixProcess.SIGTERM => (int)PosixSignal.SIGTERM,
        _ => number,
    };

    private static void DisposeAll(List<PosixSignalRegistration> registrations)
    {
        foreach (var registration in registrations)
        {
            registration.Dispose();
        }
    }
}
