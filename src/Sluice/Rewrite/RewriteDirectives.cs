using System.Text.RegularExpressions;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using Sluice.Http.Configuration;
using Sluice.Variables;
using static Sluice.Configuration.Directives.DirectiveArity;
using static Sluice.Configuration.Directives.DirectiveContext;

namespace Sluice.Rewrite;

/// <summary>
/// <c>rewrite</c>, <c>return</c>, <c>break</c>, <c>if</c>, <c>set</c>, <c>rewrite_log</c> and
/// <c>uninitialized_variable_warn</c> (nginx's <c>ngx_http_rewrite_module</c>). Each block's steps are kept as
/// a <see cref="RewriteProgram"/>; an <c>if</c> opens a server-if or location-if block whose own program and
/// settings apply when its condition holds.
/// </summary>
internal static class RewriteDirectives
{
    private const DirectiveContext Steps = Server | ServerIf | DirectiveContext.Location | LocationIf;

    public static void Register(DirectiveTable table)
    {
        void Add(string name, DirectiveContext contexts, DirectiveArity arity, DirectiveHandler handler) =>
            table.Add(new DirectiveSpec(name, contexts, arity, handler, DirectiveSupport.Implemented) { Module = "http_rewrite" });

        Add("rewrite", Steps, Take23, Rewrite);
        Add("return", Steps, Take12, Return);
        Add("break", Steps, NoArgs, call => Append(call, new BreakStep(call.Location)));
        Add("if", ServerLocation, Block | OneOrMore, If);
        Add("set", Steps, Take2, Set);
        Add("rewrite_log", DirectiveContext.Http | Steps, DirectiveArity.Flag, Slots.Flag(RewriteSettings.Log));
        Add("uninitialized_variable_warn", DirectiveContext.Http | Steps, DirectiveArity.Flag, Slots.Flag(RewriteSettings.UninitializedVariableWarn));
    }

    /// <summary>Compiles a rewrite or if regex; its named captures become variables.</summary>
    internal static Regex CompileRegex(DirectiveCall call, string pattern, bool caseless) => call.CompileHttpRegex(pattern, caseless);

    private static void Define(DirectiveCall call, string name) => call.DefineVariable(name);

    private static void Append(DirectiveCall call, RewriteStep step)
    {
        if (!call.Scope.TryGetHere(RewriteSettings.Program, out var program) || program is null)
        {
            program = new RewriteProgram();
            call.Scope.Replace<RewriteProgram?>(RewriteSettings.Program, program, call.Location);
        }

        program.Steps.Add(step);
    }

    private static void Rewrite(DirectiveCall call)
    {
        var replacement = call.Args[1];
        if (replacement.Length == 0)
        {
            throw call.Error("empty replacement");
        }

        // nginx's rewrite has no case-insensitive form (a "(?i)" in the pattern is the way).
        var regex = CompileRegex(call, call.Args[0], caseless: false);

        var appendArgs = true;
        if (replacement[^1] == '?')
        {
            replacement = replacement[..^1];
            appendArgs = false;
        }

        var redirectUrl = replacement.StartsWith("http://", StringComparison.Ordinal)
            || replacement.StartsWith("https://", StringComparison.Ordinal)
            || replacement.StartsWith("$scheme", StringComparison.Ordinal);

        var ending = RewriteEnding.None;
        if (call.Args.Length == 3)
        {
            ending = call.Args[2] switch
            {
                "last" => RewriteEnding.Last,
                "break" => RewriteEnding.Break,
                "redirect" => RewriteEnding.Redirect,
                "permanent" => RewriteEnding.Permanent,
                _ => throw call.Error($"invalid parameter \"{call.Args[2]}\""),
            };
        }

        Append(call, new RewriteRuleStep(regex, call.Template(replacement), ending, redirectUrl, appendArgs, call.Location));
    }

    private static void Return(DirectiveCall call)
    {
        var first = call.Args[0];
        if (!NginxValues.TryParseNumber(first, out var code))
        {
            var isUrl = first.StartsWith("http://", StringComparison.Ordinal)
                || first.StartsWith("https://", StringComparison.Ordinal)
                || first.StartsWith("$scheme", StringComparison.Ordinal);
            if (call.Args.Length != 1 || !isUrl)
            {
                throw call.Error($"invalid return code \"{first}\"");
            }

            Append(call, new ReturnStep(302, call.Template(first), call.Location));
            return;
        }

        if (code > 999)
        {
            throw call.Error($"invalid return code \"{first}\"");
        }

        var text = call.Args.Length == 2 ? call.Template(call.Args[1]) : null;
        Append(call, new ReturnStep((int)code, text, call.Location));
    }

    private static void Set(DirectiveCall call)
    {
        var target = call.Args[0];
        if (target.Length == 0 || target[0] != '$')
        {
            throw call.Error($"invalid variable name \"{target}\"");
        }

        var name = target[1..];
        if (name.Length == 0)
        {
            throw call.Error("invalid variable name \"$\"");
        }

        Define(call, name);
        Append(call, new SetStep(name.ToLowerInvariant(), call.Template(call.Args[1]), call.Location));
    }

    /// <summary>
    /// nginx's <c>ngx_http_rewrite_if</c>: the block is an implicit, unnamed location (for a location-if one that
    /// location-level directives may configure), and its steps run only when the condition holds.
    /// </summary>
    private static void If(DirectiveCall call)
    {
        var inLocation = call.Scope.Kind != Server;
        var scope = new ConfScope(inLocation ? LocationIf : ServerIf, call.Scope, call.Location);
        if (inLocation && call.Scope.Owner is LocationBuilder owner)
        {
            // Not added to the location tree: nginx keeps if-locations out of location matching.
            scope.Owner = new LocationBuilder(scope, owner.Name, owner.Kind, owner.Regex, owner.Server, owner);
        }

        var condition = IfConditionParser.Parse(call);
        Append(call, new IfStep(condition, scope, call.Location));
        call.WalkBlock(scope);
    }
}
