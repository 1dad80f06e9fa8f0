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

    /// <summary>The server block the directive is in, if any.</summary>
    public static ServerBuilder? Server(this DirectiveCall call) =>
        call.Scope.Nearest(DirectiveContext.Server)?.Owner as ServerBuilder;

    /// <summary>The location (or if/limit_except pseudo-location) the directive is in, if any.</summary>
    public static LocationBuilder? Location(this DirectiveCall call) =>
        call.Scope.Nearest(DirectiveContext.Location | DirectiveContext.LocationIf | DirectiveContext.LimitExcept)?.Owner as LocationBuilder;
}
