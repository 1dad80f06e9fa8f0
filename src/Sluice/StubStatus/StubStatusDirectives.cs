using Sluice.Configuration.Directives;

namespace Sluice.StubStatus;

/// <summary>
/// <c>stub_status</c> (nginx's <c>ngx_http_stub_status_module</c>). Its <c>$connections_*</c> variables are
/// built-ins (<see cref="Variables.BuiltinVariables"/>).
/// </summary>
internal static class StubStatusDirectives
{
    public static void Register(DirectiveTable table) =>
        table.Add(new DirectiveSpec(
            "stub_status",
            DirectiveContext.ServerLocation,
            DirectiveArity.NoArgs | DirectiveArity.Take1,
            StubStatus,
            DirectiveSupport.Implemented) { Module = "http_stub_status" });

    /// <summary>
    /// nginx only installs the content handler: the optional argument (1.7.5+ made it optional) is not read, so
    /// even <c>stub_status off</c> enables the page, and repeating the directive is not an error.
    /// </summary>
    private static void StubStatus(DirectiveCall call) => call.Scope.Replace(StubStatusSettings.Enabled, true, call.Location);
}
