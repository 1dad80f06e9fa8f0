using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Sluice.Configuration.Directives;
using Sluice.Core;
using Sluice.Http.Configuration;
using Sluice.Http.Runtime;
using Sluice.Variables;

namespace Sluice.Rewrite;

/// <summary>
/// Runs the rewrite module's programs: the server's in the server-rewrite phase, each location's in the
/// rewrite phase. <c>set</c> variables are defined for templates; an <c>if</c> body in a location is its
/// own (unlisted) location whose settings take over when the condition holds, as in nginx.
/// </summary>
internal sealed class RewriteFeature : IHttpFeature
{
    public void Prepare(HttpBuildContext context)
    {
        foreach (var name in SetVariables(context.State))
        {
            var key = name;

            // A changeable built-in ($args, $limit_rate …) keeps its own value until a set gives it another.
            var builtin = CoreVariables.Resolve(key);
            context.Variables.Define(key, r => r.SetVariables is { } vars && vars.TryGetValue(key, out var value) ? value : builtin is not null ? builtin(r) : Uninitialized(r, key));
        }
    }

    /// <summary>
    /// nginx's <c>ngx_http_rewrite_var</c>: a set variable read before any set gave it a value is empty (found, so a
    /// log line shows nothing rather than "-"), with a warning unless uninitialized_variable_warn is off. The empty
    /// value is kept for the rest of the request, as nginx caches it, so the warning comes once.
    /// </summary>
    private static string Uninitialized(RequestContext request, string name)
    {
        if (request.Location?.Feature<NoUninitializedWarning>() is null)
        {
            request.ErrorLog.Write(LogLevel.Warn, $"using uninitialized \"{name}\" variable{RequestLimits.Context(request)}");
        }

        (request.SetVariables ??= new Dictionary<string, string>(StringComparer.Ordinal))[name] = "";
        return "";
    }

    public void BuildLocation(LocationBuildContext location)
    {
        if (!location.Get(RewriteSettings.UninitializedVariableWarn))
        {
            location.Features[typeof(NoUninitializedWarning)] = NoUninitializedWarning.Instance;
        }

        if (!location.Scope.TryGetHere(RewriteSettings.Program, out var program) || program is null || program.Steps.Count == 0)
        {
            return;
        }

        var steps = Compile(location, program);
        var phase = location.IsServerLevel ? HttpPhase.ServerRewrite : HttpPhase.Rewrite;
        location.Handlers.Add(new RewriteHandler(phase, steps, location.Get(RewriteSettings.Log)));
    }

    private static CompiledStep[] Compile(LocationBuildContext location, RewriteProgram program) =>
        [.. program.Steps.Select(step => Compile(location, step))];

    private static CompiledStep Compile(LocationBuildContext location, RewriteStep step)
    {
        switch (step)
        {
            case ReturnStep r:
                return new CompiledStep.Return(r.Code, r.Text is null ? null : location.Compile(r.Text));
            case RewriteRuleStep rule:
                return new CompiledStep.Rule(
                    Configuration.Values.NginxRegex.Recompile(rule.Pattern, RegexOptions.Compiled),
                    location.Compile(rule.Replacement),
                    rule.Ending,
                    rule.RedirectUrl,
                    rule.AppendArgs,
                    rule.Replacement.Source);
            case SetStep set:
                return new CompiledStep.Set(set.Variable, location.Compile(set.Value));
            case BreakStep:
                return new CompiledStep.Break();
            case IfStep ifStep:
                {
                    var bodyProgram = ifStep.Body.TryGetHere(RewriteSettings.Program, out var p) ? p : null;
                    LocationRuntime? ifLocation = null;
                    if (!location.IsServerLevel)
                    {
                        ifLocation = location.Http.BuildPseudoLocation(ifStep.Body, location.Server, ifStep.Body.Owner as LocationBuilder);

                        // The body's rewrite steps run inline below; its own handler would run them twice.
                        ifLocation.Handlers = [.. ifLocation.Handlers.Where(h => h is not RewriteHandler)];
                    }

                    var body = bodyProgram is null ? [] : bodyProgram.Steps.Select(s => Compile(location, s)).ToArray();
                    return new CompiledStep.If(IfEvaluator.Compile(ifStep.Condition, location), body, ifLocation);
                }

            default:
                throw new InvalidOperationException($"unknown rewrite step {step.GetType().Name}");
        }
    }

    /// <summary>Every variable a <c>set</c> anywhere in the configuration writes.</summary>
    private static HashSet<string> SetVariables(HttpConfState state)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Walk(ConfScope scope)
        {
            if (scope.TryGetHere(RewriteSettings.Program, out var program) && program is not null)
            {
                foreach (var step in program.Steps)
                {
                    if (step is SetStep set)
                    {
                        names.Add(set.Variable);
                    }
                    else if (step is IfStep ifStep)
                    {
                        Walk(ifStep.Body);
                    }
                }
            }
        }

        void WalkLocation(LocationBuilder location)
        {
            Walk(location.Scope);
            foreach (var child in location.Children)
            {
                WalkLocation(child);
            }
        }

        if (state.Http is not null)
        {
            Walk(state.Http);
        }

        foreach (var server in state.Servers)
        {
            Walk(server.Scope);
            foreach (var location in server.Locations)
            {
                WalkLocation(location);
            }
        }

        return names;
    }
}

/// <summary>Marks a location with <c>uninitialized_variable_warn off</c>.</summary>
internal sealed class NoUninitializedWarning
{
    public static readonly NoUninitializedWarning Instance = new();
}

/// <summary>A rewrite step bound to compiled templates and regexes.</summary>
internal abstract record CompiledStep
{
    public sealed record Return(int Code, CompiledTemplate? Text) : CompiledStep;

    public sealed record Rule(Regex Pattern, CompiledTemplate Replacement, RewriteEnding Ending, bool RedirectUrl, bool AppendArgs, string Source) : CompiledStep;

    public sealed record Set(string Variable, CompiledTemplate Value) : CompiledStep;

    public sealed record Break : CompiledStep;

    public sealed record If(Func<RequestContext, bool> Condition, CompiledStep[] Body, LocationRuntime? Location) : CompiledStep;
}

/// <summary>One block's rewrite program at runtime (nginx's script engine for the rewrite phases).</summary>
internal sealed class RewriteHandler : PhaseHandler
{
    private readonly CompiledStep[] _steps;
    private readonly bool _log;

    public RewriteHandler(HttpPhase phase, CompiledStep[] steps, bool log)
    {
        Phase = phase;
        _steps = steps;
        _log = log;
    }

    public override HttpPhase Phase { get; }

    public override async ValueTask<PhaseOutcome> ExecuteAsync(RequestContext request)
    {
        var uriBefore = request.Uri;
        var (outcome, stopped) = await RunAsync(request, _steps).ConfigureAwait(false);
        if (outcome is { } done)
        {
            return done;
        }

        // A URI changed by a rewrite without a flag sends the request to the location search again
        // (not after "break", which keeps the current location).
        return Phase == HttpPhase.Rewrite && !stopped && uriBefore != request.Uri ? PhaseOutcome.Redirect : PhaseOutcome.Next;
    }

    /// <summary>Runs steps: an outcome to stop the request here, or none with whether a "break" ended the program.</summary>
    private async ValueTask<(PhaseOutcome? Outcome, bool Stopped)> RunAsync(RequestContext request, CompiledStep[] steps)
    {
        foreach (var step in steps)
        {
            switch (step)
            {
                case CompiledStep.Return ret:
                    return (await ReturnAsync(request, ret).ConfigureAwait(false), true);

                case CompiledStep.Set set:
                    (request.SetVariables ??= new Dictionary<string, string>(StringComparer.Ordinal))[set.Variable] = set.Value.Render(request);
                    break;

                case CompiledStep.Break:
                    return (null, true);

                case CompiledStep.If ifStep:
                    if (!ifStep.Condition(request))
                    {
                        break;
                    }

                    if (ifStep.Location is not null)
                    {
                        request.Location = ifStep.Location;
                    }

                    var inner = await RunAsync(request, ifStep.Body).ConfigureAwait(false);
                    if (inner.Outcome is not null || inner.Stopped)
                    {
                        return inner;
                    }

                    break;

                case CompiledStep.Rule rule:
                    var match = rule.Pattern.Match(request.Uri);
                    if (!match.Success)
                    {
                        break;
                    }

                    request.SetCaptures(match, rule.Pattern);
                    if (await ApplyRuleAsync(request, rule).ConfigureAwait(false) is { } redirected)
                    {
                        return (redirected, true);
                    }

                    if (rule.Ending == RewriteEnding.Break)
                    {
                        return (null, true);
                    }

                    if (rule.Ending == RewriteEnding.Last)
                    {
                        return (Phase == HttpPhase.Rewrite ? PhaseOutcome.Redirect : null, true);
                    }

                    break;
            }
        }

        return (null, false);
    }

    private async ValueTask<PhaseOutcome?> ApplyRuleAsync(RequestContext request, CompiledStep.Rule rule)
    {
        var value = rule.Replacement.Render(request);
        if (_log)
        {
            request.ErrorLog.Write(LogLevel.Notice, $"\"{rule.Pattern}\" matches \"{request.Uri}\"");
        }

        if (rule.RedirectUrl || rule.Ending is RewriteEnding.Redirect or RewriteEnding.Permanent)
        {
            var location = value;
            if (rule.AppendArgs && !string.IsNullOrEmpty(request.Args))
            {
                location += (location.Contains('?', StringComparison.Ordinal) ? "&" : "?") + request.Args;
            }

            var status = rule.Ending == RewriteEnding.Permanent ? 301 : 302;
            await RequestProcessor.RedirectAsync(request, status, location).ConfigureAwait(false);
            return PhaseOutcome.Done;
        }

        // A rewritten URI is internal (no longer the client's), and after "break" no longer the location's.
        request.IsInternal = true;
        if (rule.Ending == RewriteEnding.Break)
        {
            request.ValidLocation = false;
        }

        var question = value.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            var newArgs = value[(question + 1)..];
            if (rule.AppendArgs && !string.IsNullOrEmpty(request.Args))
            {
                newArgs += "&" + request.Args;
            }

            request.Uri = value[..question];
            request.Args = newArgs;
        }
        else
        {
            request.Uri = value;
            if (!rule.AppendArgs)
            {
                request.Args = null;
            }
        }

        if (_log)
        {
            request.ErrorLog.Write(LogLevel.Notice, $"rewritten data: \"{request.Uri}\", args: \"{request.Args}\"");
        }

        return null;
    }

    /// <summary>
    /// nginx's <c>return</c>: a redirect code or a text sends that response; a code of 400 and up without text
    /// ends the request with that status (so <c>error_page</c> applies).
    /// </summary>
    private static async ValueTask<PhaseOutcome> ReturnAsync(RequestContext request, CompiledStep.Return ret)
    {
        if (ret.Code >= 400 && ret.Text is null)
        {
            return PhaseOutcome.Finalize(ret.Code);
        }

        var text = ret.Text?.Render(request) ?? "";
        if (ret.Code is 301 or 302 or 303 or 307 or 308)
        {
            await RequestProcessor.RedirectAsync(request, ret.Code, text).ConfigureAwait(false);
            return PhaseOutcome.Done;
        }

        await RequestProcessor.SendTextAsync(request, ret.Code, text).ConfigureAwait(false);
        return PhaseOutcome.Done;
    }
}

/// <summary>Turns an <c>if</c> condition into a predicate over the request.</summary>
internal static class IfEvaluator
{
    public static Func<RequestContext, bool> Compile(IfCondition condition, LocationBuildContext location)
    {
        switch (condition)
        {
            case VariableIsTrue v:
                {
                    var getter = location.Http.Variables.Resolve(v.Variable);
                    return r => getter(r) is { Length: > 0 } value && value != "0";
                }

            case VariableEquals eq:
                {
                    var getter = location.Http.Variables.Resolve(eq.Variable);
                    var expected = location.Compile(eq.Value);
                    return r => (getter(r) ?? "") == expected.Render(r) != eq.Negated;
                }

            case VariableMatches m:
                {
                    var getter = location.Http.Variables.Resolve(m.Variable);
                    var regex = Configuration.Values.NginxRegex.Recompile(m.Pattern, RegexOptions.Compiled);
                    return r =>
                    {
                        var match = regex.Match(getter(r) ?? "");
                        if (match.Success && !m.Negated)
                        {
                            r.SetCaptures(match, regex);
                        }

                        return match.Success != m.Negated;
                    };
                }

            case FileTest test:
                {
                    var path = location.Compile(test.Path);
                    return r =>
                    {
                        var found = FileStats.Of(path.Render(r));
                        var result = test.Kind switch
                        {
                            FileTestKind.File => found == FileStat.File || found == FileStat.ExecutableFile,
                            FileTestKind.Directory => found == FileStat.Directory || found == FileStat.ExecutableDirectory,
                            FileTestKind.Exists => found != FileStat.None,
                            _ => found is FileStat.ExecutableFile or FileStat.ExecutableDirectory,
                        };
                        return result != test.Negated;
                    };
                }

            default:
                throw new InvalidOperationException($"unknown if condition {condition.GetType().Name}");
        }
    }
}

/// <summary>
/// What nginx's file tests see of a path (<c>stat(2)</c>, following symbolic links, so a broken link is not
/// there): a regular file or a directory, and whether its owner may execute it (nginx's <c>ngx_is_exec</c>
/// looks at the user bit only, and a directory searchable by its owner counts).
/// </summary>
internal enum FileStat
{
    None,
    File,
    ExecutableFile,
    Directory,
    ExecutableDirectory,
}

/// <summary>Looks a path up as nginx's <c>if (-f …)</c> and friends do.</summary>
internal static class FileStats
{
    public static FileStat Of(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.Exists(path) ? FileStat.Directory : File.Exists(path) ? FileStat.File : FileStat.None;
        }

        var directory = Directory.Exists(path);
        if (!directory && !File.Exists(path))
        {
            return FileStat.None;
        }

        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A symbolic link whose target is gone: File.Exists sees the link, stat(2) does not.
            return FileStat.None;
        }

        var executable = (mode & UnixFileMode.UserExecute) != 0;
        return directory
            ? executable ? FileStat.ExecutableDirectory : FileStat.Directory
            : executable ? FileStat.ExecutableFile : FileStat.File;
    }
}
