using System.Text.RegularExpressions;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Syntax;
using Sluice.Variables;

namespace Sluice.Rewrite;

/// <summary>One instruction of a rewrite program, run in order in the (server-)rewrite phase.</summary>
public abstract record RewriteStep(SourceLocation Location);

/// <summary>What the last word of a <c>rewrite</c> (its flag) asks for after the URI was replaced.</summary>
public enum RewriteEnding
{
    /// <summary>No flag: go on with the next step.</summary>
    None,

    /// <summary><c>last</c>: stop, and search a location for the new URI.</summary>
    Last,

    /// <summary><c>break</c>: stop the rewrite steps and stay in this location.</summary>
    Break,

    /// <summary><c>redirect</c>: answer 302.</summary>
    Redirect,

    /// <summary><c>permanent</c>: answer 301.</summary>
    Permanent,
}

/// <summary>
/// <c>rewrite regex replacement [flag]</c>. A replacement starting with <c>http://</c>, <c>https://</c> or
/// <c>$scheme</c> is a redirect (302 unless <c>permanent</c>) whatever the ending; a trailing <c>?</c> drops the
/// request's arguments (<see cref="AppendArgs"/> false; the '?' is not part of <see cref="Replacement"/>).
/// </summary>
public sealed record RewriteRuleStep(Regex Pattern, VariableTemplate Replacement, RewriteEnding Ending, bool RedirectUrl, bool AppendArgs, SourceLocation Location)
    : RewriteStep(Location);

/// <summary><c>return code [text]</c>, <c>return code URL</c> or <c>return URL</c> (then <see cref="Code"/> is 302).</summary>
public sealed record ReturnStep(int Code, VariableTemplate? Text, SourceLocation Location) : RewriteStep(Location);

/// <summary><c>break</c>: stop running rewrite steps.</summary>
public sealed record BreakStep(SourceLocation Location) : RewriteStep(Location);

/// <summary><c>set $variable value</c>.</summary>
public sealed record SetStep(string Variable, VariableTemplate Value, SourceLocation Location) : RewriteStep(Location);

/// <summary>
/// <c>if (condition) { … }</c>: when the condition holds, <see cref="Body"/>'s program runs, and for an <c>if</c> in
/// a location its settings (the implicit location nginx creates) apply to the request.
/// </summary>
public sealed record IfStep(IfCondition Condition, ConfScope Body, SourceLocation Location) : RewriteStep(Location);
