using Sluice.Configuration.Directives;

namespace Sluice.Rewrite;

/// <summary>Settings of nginx's <c>ngx_http_rewrite_module</c>.</summary>
public static class RewriteSettings
{
    /// <summary>
    /// The block's own <c>rewrite</c>/<c>return</c>/<c>set</c>/<c>break</c>/<c>if</c> steps, in order. nginx does not
    /// inherit them: a location runs only its own program (the server's runs in the server-rewrite phase), so read
    /// this with <c>TryGetHere</c>, never <c>Get</c>.
    /// </summary>
    public static readonly Setting<RewriteProgram?> Program = new("rewrite program", null);

    /// <summary><c>rewrite_log</c>: log each rewrite at notice level.</summary>
    public static readonly Setting<bool> Log = new("rewrite_log", false);

    /// <summary><c>uninitialized_variable_warn</c>: warn when a <c>set</c> variable is read before being set.</summary>
    public static readonly Setting<bool> UninitializedVariableWarn = new("uninitialized_variable_warn", true);
}

/// <summary>The steps of one block's rewrite program, appended as its directives are read.</summary>
public sealed class RewriteProgram
{
    public List<RewriteStep> Steps { get; } = [];
}
