using System.Text;
using Sluice.Http.Runtime;
using Sluice.Logging.Configuration;
using Sluice.Variables;

namespace Sluice.Logging;

/// <summary>
/// nginx's log phase: each location's access logs (inherited as a whole, <c>off</c>, or nginx's default
/// <c>logs/access.log combined</c>), rendered with the format's escaping and queued to the file's writer.
/// </summary>
internal sealed class AccessLogFeature : IHttpFeature
{
    public void BuildLocation(LocationBuildContext location)
    {
        var config = location.Get(LogSettings.AccessLogs);
        var state = location.Http.Compiler.State<LogConfState>();
        IReadOnlyList<AccessLog> logs = config is null
            ? state.DefaultLog is { } fallback ? [fallback] : []
            : config.Off ? [] : config.Logs;
        if (logs.Count == 0)
        {
            return;
        }

        var files = location.Http.LogFiles;
        var compiled = new List<CompiledAccessLog>();
        foreach (var log in logs)
        {
            var parts = log.Format.Parts.Select(p => p.Kind == TemplatePartKind.Variable
                ? new LogPart(null, location.Http.Variables.Resolve(p.Text))
                : new LogPart(p.Text, null)).ToArray();
            var condition = log.Condition is null ? null : location.Compile(log.Condition);
            switch (log.Destination)
            {
                case FileLogDestination file:
                    compiled.Add(new CompiledAccessLog(parts, log.Format.Escape, condition, files.Get(file.FullPath), null));
                    break;
                case VariablePathLogDestination variable:
                    compiled.Add(new CompiledAccessLog(parts, log.Format.Escape, condition, null, location.Compile(variable.Path)));
                    break;
                case StderrLogDestination:
                    compiled.Add(new CompiledAccessLog(parts, log.Format.Escape, condition, files.Get("/dev/stderr"), null));
                    break;
            }
        }

        location.Features[typeof(AccessLogs)] = new AccessLogs([.. compiled]);
    }

    /// <summary>Writes the request's lines (the log phase); called once the response is complete.</summary>
    public static void Log(RequestContext request)
    {
        if (request.Location?.Feature<AccessLogs>() is not { } logs)
        {
            return;
        }

        foreach (var log in logs.Logs)
        {
            if (log.Condition is { } condition && condition.Render(request) is "" or "0")
            {
                continue;
            }

            var line = Render(log, request);
            var writer = log.Writer ?? request.Runtime.LogFiles.Get(log.PathTemplate!.Render(request));
            writer.Write(line);
        }
    }

    /// <summary>The line being built, one per thread: rendering a line allocates only the line.</summary>
    [ThreadStatic]
    private static StringBuilder? _line;

    private static string Render(CompiledAccessLog log, RequestContext request)
    {
        var sb = _line ??= new StringBuilder(512);
        sb.Clear();
        foreach (var part in log.Parts)
        {
            if (part.Literal is { } literal)
            {
                sb.Append(literal);
                continue;
            }

            var value = part.Getter!(request);
            if (value is null)
            {
                // nginx's "-" for a variable that is not found belongs to the default escaping only: escape=json
                // and escape=none write nothing.
                if (log.Escape == LogEscape.Default)
                {
                    sb.Append('-');
                }

                continue;
            }

            switch (log.Escape)
            {
                case LogEscape.Default:
                    AppendEscaped(sb, value);
                    break;
                case LogEscape.Json:
                    AppendJson(sb, value);
                    break;
                default:
                    sb.Append(value);
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// nginx's default log escaping: '"', '\', controls, DEL and every byte of non-ASCII text as <c>\xHH</c> — the
    /// bytes of its UTF-8, or the raw bytes a variable kept (<see cref="RawBytes"/>).
    /// </summary>
    private static void AppendEscaped(StringBuilder sb, string value)
    {
        Span<byte> bytes = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is >= ' ' and < (char)0x7F and not '"' and not '\\')
            {
                sb.Append(c);
                continue;
            }

            int count;
            if (c < 0x80)
            {
                bytes[0] = (byte)c;
                count = 1;
            }
            else if (RawBytes.TryGetByte(value, i, out var raw))
            {
                bytes[0] = raw;
                count = 1;
            }
            else
            {
                var pair = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]) ? 2 : 1;
                count = Encoding.UTF8.GetBytes(value.AsSpan(i, pair), bytes);
                i += pair - 1;
            }

            for (var b = 0; b < count; b++)
            {
                sb.Append("\\x").Append("0123456789ABCDEF"[bytes[b] >> 4]).Append("0123456789ABCDEF"[bytes[b] & 0xF]);
            }
        }
    }

    /// <summary>nginx's <c>ngx_escape_json</c>.</summary>
    private static void AppendJson(StringBuilder sb, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case '\b':
                    sb.Append("\\b");
                    break;
                case '\f':
                    sb.Append("\\f");
                    break;
                case < ' ':
                    sb.Append("\\u00").Append("0123456789ABCDEF"[c >> 4]).Append("0123456789ABCDEF"[c & 0xF]);
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
    }
}

/// <summary>The access logs of one location.</summary>
internal sealed record AccessLogs(CompiledAccessLog[] Logs);

internal sealed record CompiledAccessLog(LogPart[] Parts, LogEscape Escape, CompiledTemplate? Condition, LogFileWriter? Writer, CompiledTemplate? PathTemplate);

internal readonly record struct LogPart(string? Literal, VariableGetter? Getter);
