using Sluice.Configuration.Directives;
using Sluice.Variables;

namespace Sluice.Http.Configuration;

/// <summary>Shortcuts the http features use while interpreting their directives.</summary>
public static class HttpCallExtensions
{
    public static HttpConfState Http(this DirectiveCall call) => call.Compiler.State<HttpConfState>();

    /// <summary>Parses a string with variables and records the variables as used (checked when http closes).</summary>
    public static VariableTemplate Template(this DirectiveCall call, string text)
    {
        var template = VariableTemplate.Parse(text, call.Location);
        call.Http().Variables.Use(template);
        return template;
    }

    /// <summary>
    /// nginx's <c>ngx_http_regex_compile</c>: compiles a pattern and makes its named captures variables
    /// (a name that would redefine a built-in variable is nginx's <c>the duplicate "x" variable</c>).
    /// </summary>
    public static System.Text.RegularExpressions.Regex CompileHttpRegex(this DirectiveCall call, string pattern, bool caseless)
    {
        var regex = Sluice.Configuration.Values.NginxRegex.Compile(pattern, caseless, call.Location);
        foreach (var name in Sluice.Configuration.Values.NginxRegex.NamedGroups(regex).Keys)
        {
            call.Http().Variables.DefineCapture(name, call.Location);
        }

        return regex;
    }

    /// <summary>Declares a variable the configuration defines (set, named capture, map …), refusing to redefine a built-in one.</summary>
    public static void DefineVariable(this DirectiveCall call, string name) => call.Http().Variables.DefineChangeable(name, call.Location);

    /// <summary>The server block the directive is in, if any.</summary>
    public static ServerBuilder? Server(this DirectiveCall call) =>
        call.Scope.Nearest(DirectiveContext.Server)?.Owner as ServerBuilder;

    /// <summary>The location (or if/limit_except pseudo-location) the directive is in, if any.</summary>
    public static LocationBuilder? Location(this DirectiveCall call) =>
        call.Scope.Nearest(DirectiveContext.Location | DirectiveContext.LocationIf | DirectiveContext.LimitExcept)?.Owner as LocationBuilder;
}
