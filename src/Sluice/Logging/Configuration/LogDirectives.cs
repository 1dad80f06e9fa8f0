using Sluice.Configuration;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using Sluice.Core;
using Sluice.Hosting;
using Sluice.Http.Configuration;
using Sluice.Variables;
using static Sluice.Configuration.Directives.DirectiveArity;
using static Sluice.Configuration.Directives.DirectiveContext;

namespace Sluice.Logging.Configuration;

/// <summary>
/// nginx's <c>ngx_http_log_module</c>: <c>log_format</c>, <c>access_log</c> and <c>open_log_file_cache</c>, with its
/// checks and messages, and its default log for servers that configure none.
/// </summary>
internal static class LogDirectives
{
    private const long DefaultGzipBufferSize = 64 * 1024;

    public static void Register(DirectiveTable table)
    {
        void Add(string name, DirectiveContext contexts, DirectiveArity arity, DirectiveHandler handler) =>
            table.Add(new DirectiveSpec(name, contexts, arity, handler, DirectiveSupport.Implemented) { Module = "http_log" });

        Add("log_format", DirectiveContext.Http, TwoOrMore, LogFormatDirective);
        Add("access_log", HttpServerLocation | LocationIf | LimitExcept, OneOrMore, AccessLogDirective);
        table.Add(new DirectiveSpec("open_log_file_cache", HttpServerLocation, Take1234, OpenLogFileCacheDirective, DirectiveSupport.Accepted) { Module = "http_log" });

        table.OnCompile(compiler => compiler.State<HttpConfState>().AfterHttp(HttpOrder.Log, () => AddDefaultLog(compiler)));
    }

    private static void LogFormatDirective(DirectiveCall call)
    {
        var name = call.Args[0];
        var state = call.Compiler.State<LogConfState>();
        if (state.IsDefined(name))
        {
            throw call.Error($"duplicate \"log_format\" name \"{name}\"");
        }

        state.Add(LogFormat.Compile(name, call.Args[1..], call.Http().Variables, call.Location));
    }

    private static void AccessLogDirective(DirectiveCall call)
    {
        var config = call.Scope.TryGetHere(LogSettings.AccessLogs, out var here) && here is not null ? here : AccessLogConfig.Empty;
        var target = call.Args[0];
        if (target == "off")
        {
            if (call.Args.Length > 1)
            {
                throw call.Error($"invalid parameter \"{call.Args[1]}\"");
            }

            call.Scope.Replace<AccessLogConfig?>(LogSettings.AccessLogs, config with { Off = true }, call.Location);
            return;
        }

        var destination = Destination(call, target);
        var state = call.Compiler.State<LogConfState>();
        var formatName = call.Args.Length >= 2 ? call.Args[1] : LogFormat.CombinedName;
        var format = state.Find(formatName) ?? throw call.Error($"unknown log format \"{formatName}\"");

        long bufferSize = 0;
        long flushMs = 0;
        var gzipLevel = 0;
        VariableTemplate? condition = null;
        foreach (var parameter in call.Args.Skip(2))
        {
            if (parameter.StartsWith("buffer=", StringComparison.Ordinal))
            {
                if (!NginxValues.TryParseSize(parameter.AsSpan(7), out bufferSize) || bufferSize == 0)
                {
                    throw call.Error($"invalid buffer size \"{parameter[7..]}\"");
                }
            }
            else if (parameter.StartsWith("flush=", StringComparison.Ordinal))
            {
                if (!NginxValues.TryParseMilliseconds(parameter.AsSpan(6), out flushMs) || flushMs == 0)
                {
                    throw call.Error($"invalid flush time \"{parameter[6..]}\"");
                }
            }
            else if (parameter == "gzip" || parameter.StartsWith("gzip=", StringComparison.Ordinal))
            {
                // Compression needs a buffer to compress: nginx gives it 64k unless one was set before.
                bufferSize = bufferSize == 0 ? DefaultGzipBufferSize : bufferSize;
                gzipLevel = ParseGzipLevel(call, parameter);
                call.NotImplemented("the \"gzip\" parameter of the \"access_log\" directive");
            }
            else if (parameter.StartsWith("if=", StringComparison.Ordinal))
            {
                condition = call.Template(parameter[3..]);
            }
            else
            {
                throw call.Error($"invalid parameter \"{parameter}\"");
            }
        }

        if (flushMs != 0 && bufferSize == 0)
        {
            throw call.Error($"no buffer is defined for access_log \"{target}\"");
        }

        var log = new AccessLog(destination, format, condition, call.Location);
        call.Scope.Replace<AccessLogConfig?>(LogSettings.AccessLogs, config with { Logs = config.Logs.Add(log) }, call.Location);

        if (bufferSize != 0)
        {
            var buffer = new AccessLogBuffer(bufferSize, flushMs == 0 ? null : TimeSpan.FromMilliseconds(flushMs), gzipLevel);
            AddBuffer(call, state, destination, buffer);
        }
    }

    private static AccessLogDestination Destination(DirectiveCall call, string target)
    {
        if (target.StartsWith(SyslogTarget.Prefix, StringComparison.Ordinal))
        {
            call.NotImplemented("the \"syslog:\" target of the \"access_log\" directive");
            return new SyslogLogDestination(SyslogTarget.Parse(target, call.Compiler.Environment.Resolver, call.Location));
        }

        if (target.Length == 0)
        {
            return new StderrLogDestination();
        }

        var fullPath = call.Compiler.Environment.FullPath(target);
        if (VariableTemplate.HasVariables(target))
        {
            return new VariablePathLogDestination(call.Template(fullPath));
        }

        call.Compiler.State<OpenFileRegistry>().Add(fullPath);
        return new FileLogDestination(fullPath);
    }

    private static int ParseGzipLevel(DirectiveCall call, string parameter)
    {
        if (parameter == "gzip")
        {
            return 1;
        }

        var text = parameter[5..];
        return NginxValues.TryParseInt(text, out var level) && level is >= 1 and <= 9
            ? level
            : throw call.Error($"invalid compression level \"{text}\"");
    }

    /// <summary>A buffer belongs to the file: a second line naming the file must agree with the first one's buffer.</summary>
    private static void AddBuffer(DirectiveCall call, LogConfState state, AccessLogDestination destination, AccessLogBuffer buffer)
    {
        var path = destination switch
        {
            FileLogDestination file => file.FullPath,
            StderrLogDestination => "",
            VariablePathLogDestination => throw call.Error("buffered logs cannot have variables in name"),
            _ => throw call.Error("logs to syslog cannot be buffered"),
        };

        if (state.BuffersByPath.TryGetValue(path, out var existing))
        {
            if (existing != buffer)
            {
                throw call.Error($"access_log \"{call.Args[0]}\" already defined with conflicting parameters");
            }

            return;
        }

        state.BuffersByPath[path] = buffer;
    }

    private static void OpenLogFileCacheDirective(DirectiveCall call)
    {
        call.EnsureNotSet(LogSettings.OpenLogFileCache);
        long max = 0;
        long inactive = 10;
        long minUses = 1;
        long valid = 60;
        var off = false;
        foreach (var value in call.Args)
        {
            var ok = value switch
            {
                _ when value.StartsWith("max=", StringComparison.Ordinal) => NginxValues.TryParseNumber(value.AsSpan(4), out max),
                _ when value.StartsWith("inactive=", StringComparison.Ordinal) => NginxValues.TryParseSeconds(value.AsSpan(9), out inactive),
                _ when value.StartsWith("min_uses=", StringComparison.Ordinal) => NginxValues.TryParseNumber(value.AsSpan(9), out minUses),
                _ when value.StartsWith("valid=", StringComparison.Ordinal) => NginxValues.TryParseSeconds(value.AsSpan(6), out valid),
                "off" => off = true,
                _ => false,
            };

            if (!ok)
            {
                throw call.Error($"invalid \"open_log_file_cache\" parameter \"{value}\"");
            }
        }

        if (off)
        {
            call.Set(LogSettings.OpenLogFileCache, null);
            return;
        }

        if (max == 0)
        {
            throw call.Error("\"open_log_file_cache\" must have \"max\" parameter");
        }

        call.Set<OpenLogFileCache?>(LogSettings.OpenLogFileCache, new OpenLogFileCache(max, TimeSpan.FromSeconds(inactive), minUses, TimeSpan.FromSeconds(valid)));
    }

    /// <summary>
    /// nginx's merge of the log module: a server with no <c>access_log</c> of its own, none inherited from http and
    /// no <c>off</c> logs to the build's default path in the combined format, so <c>-t</c> must open that file too.
    /// </summary>
    private static void AddDefaultLog(ConfigCompiler compiler)
    {
        var servers = compiler.State<HttpConfState>().Servers;
        if (servers.TrueForAll(s => s.Scope.Get(LogSettings.AccessLogs) is not null))
        {
            return;
        }

        var path = compiler.Environment.FullPath(ProductInfo.DefaultAccessLogPath);
        compiler.State<OpenFileRegistry>().Add(path);
        compiler.State<LogConfState>().DefaultLog = new AccessLog(new FileLogDestination(path), LogFormat.Combined, null, null);
    }
}
