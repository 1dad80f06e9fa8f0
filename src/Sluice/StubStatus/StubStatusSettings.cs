using Sluice.Configuration.Directives;

namespace Sluice.StubStatus;

/// <summary>Settings of nginx's <c>ngx_http_stub_status_module</c>.</summary>
public static class StubStatusSettings
{
    /// <summary>
    /// The block answers with the status page. Like any nginx content handler it is not inherited: a nested
    /// location serves the page only if it says so itself, so read it with <c>TryGetHere</c>.
    /// </summary>
    public static readonly Setting<bool> Enabled = new("stub_status", false);
}
