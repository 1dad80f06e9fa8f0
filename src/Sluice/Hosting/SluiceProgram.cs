using System.Text;
using Sluice.Configuration;
using Sluice.Configuration.Syntax;
using Sluice.Core;

namespace Sluice.Hosting;

/// <summary>
/// The <c>sluice</c> executable: nginx's command line (<c>-t -T -q -s -p -c -e -g -v -V -h</c>) with nginx's
/// messages and exit codes, then either a one-shot action or the running server.
/// </summary>
public static class SluiceProgram
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var options = CommandLineOptions.Parse(args, out var error);
        if (options is null)
        {
            await stderr.WriteLineAsync($"{ProductInfo.Name}: {error}").ConfigureAwait(false);
            return 1;
        }

        if (options.ShowVersion)
        {
            var text = new StringBuilder();
            text.Append(ProductInfo.Name).Append(" version: ").Append(ProductInfo.NameAndVersion).Append('\n');
            if (options.ShowHelp)
            {
                text.Append(ProductInfo.Usage.Replace("\r\n", "\n", StringComparison.Ordinal));
            }

            if (options.ShowConfigure)
            {
                text.Append(ProductInfo.BuiltWith).Append('\n');
                text.Append(ProductInfo.ConfigureArguments()).Append('\n');
            }

            await stderr.WriteAsync(text.ToString()).ConfigureAwait(false);
            await stderr.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (!options.TestConfig)
            {
                return 0;
            }
        }

        var paths = ProcessPaths.Resolve(options);
        var time = TimeProvider.System;
        var log = new StartupLog(stderr, paths.StartupLogFile, time);
        var environment = new ConfigEnvironment { Prefix = paths.Prefix, ConfPrefix = paths.ConfPrefix };
        var loaded = new ConfigLoader(environment).Load(paths.ConfFile, options.Directives);

        foreach (var diagnostic in loaded.Messages)
        {
            log.Write(diagnostic);
        }

        if (!loaded.IsValid)
        {
            if (options.TestConfig)
            {
                log.Stderr($"configuration file {paths.ConfFile} test failed");
            }

            return 1;
        }

        var compiled = loaded.Compiled!;
        if (options.TestConfig)
        {
            return Test(options, paths, log, loaded, compiled, stdout);
        }

        if (options.Signal != ControlSignal.None)
        {
            return SendSignal(options.Signal, CoreConfig.From(compiled), log);
        }

        try
        {
            ConfigActivation.Check(compiled, testOnly: false);
        }
        catch (ConfigException e)
        {
            log.Write(ConfigDiagnostic.FromException(e));
            return 1;
        }

        if (!loaded.NotImplemented.IsEmpty)
        {
            foreach (var diagnostic in loaded.NotImplemented)
            {
                log.Write(diagnostic);
            }

            return 1;
        }

        await using var host = new SluiceHost(paths, options, loaded, stderr, time);
        return await host.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private static int Test(CommandLineOptions options, ProcessPaths paths, StartupLog log, ConfigLoadResult loaded, ConfigCompiler compiled, TextWriter stdout)
    {
        if (!options.Quiet)
        {
            log.Stderr($"the configuration file {paths.ConfFile} syntax is ok");
        }

        try
        {
            ConfigActivation.Check(compiled, testOnly: true);
        }
        catch (ConfigException e)
        {
            log.Write(ConfigDiagnostic.FromException(e));
            log.Stderr($"configuration file {paths.ConfFile} test failed");
            return 1;
        }

        // The configuration is valid nginx; Sluice now says which directives it cannot run yet.
        if (!loaded.NotImplemented.IsEmpty)
        {
            foreach (var diagnostic in loaded.NotImplemented)
            {
                log.Write(diagnostic);
            }

            log.Stderr($"configuration file {paths.ConfFile} test failed");
            return 1;
        }

        if (!options.Quiet)
        {
            log.Stderr($"configuration file {paths.ConfFile} test is successful");
        }

        if (options.DumpConfig)
        {
            stdout.Flush();
            WriteRaw(stdout, ConfigDump.Write(loaded.Document.Files));
        }

        return 0;
    }

    /// <summary>Writes file bytes unchanged (the dump must be byte-identical to the files, whatever their encoding).</summary>
    private static void WriteRaw(TextWriter writer, byte[] content)
    {
        if (writer is StreamWriter { BaseStream: { } stream })
        {
            writer.Flush();
            stream.Write(content);
            stream.Flush();
            return;
        }

        writer.Write(Encoding.UTF8.GetString(content));
    }

    private static int SendSignal(ControlSignal signal, CoreConfig core, StartupLog log)
    {
        log.Write(LogLevel.Notice, "signal process started");
        if (!PidFile.TryRead(core.PidPath, out var pid, out var error))
        {
            log.Write(LogLevel.Error, error);
            return 1;
        }

        var number = UnixProcess.SignalNumber(signal);
        var errno = UnixProcess.Kill(pid, number);
        if (errno != 0)
        {
            log.Write(LogLevel.Alert, $"kill({pid}, {number}) failed ({errno}: {UnixProcess.StrError(errno)})");
            return 1;
        }

        return 0;
    }
}

/// <summary>The prefix, configuration file and startup log resolved from the command line as nginx does.</summary>
public sealed record ProcessPaths(string Prefix, string ConfFile, string ConfPrefix, string? StartupLogFile)
{
    public static ProcessPaths Resolve(CommandLineOptions options)
    {
        var prefix = options.Prefix ?? Directory.GetCurrentDirectory();
        if (prefix.Length > 0 && prefix[^1] != '/')
        {
            prefix += "/";
        }

        var conf = options.ConfFile ?? ProductInfo.DefaultConfPath;
        if (!conf.StartsWith('/'))
        {
            conf = prefix + conf;
        }

        var slash = conf.LastIndexOf('/');
        var confPrefix = slash > 0 ? conf[..(slash + 1)] : prefix;

        string? logFile = null;
        if (!string.IsNullOrEmpty(options.ErrorLog))
        {
            logFile = options.ErrorLog.StartsWith('/') ? options.ErrorLog : prefix + options.ErrorLog;
        }

        return new ProcessPaths(prefix, conf, confPrefix, logFile);
    }
}
