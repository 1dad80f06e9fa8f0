namespace Sluice.Http.Runtime;

/// <summary>nginx's request phases, in the order a request goes through them.</summary>
public enum HttpPhase
{
    /// <summary>Server-level <c>return</c>, <c>rewrite</c>, <c>if</c>, <c>set</c> (before the location is chosen).</summary>
    ServerRewrite,

    /// <summary>Location-level rewrite directives.</summary>
    Rewrite,

    /// <summary><c>limit_req</c>, <c>limit_conn</c>.</summary>
    PreAccess,

    /// <summary><c>allow</c>/<c>deny</c>.</summary>
    Access,

    /// <summary><c>try_files</c>.</summary>
    TryFiles,

    /// <summary>The response itself: proxy, stub_status, static files.</summary>
    Content,
}

/// <summary>What a phase handler decided.</summary>
public readonly record struct PhaseOutcome(PhaseOutcomeKind Kind, int Status = 0)
{
    /// <summary>Go on with the next handler (nginx's NGX_DECLINED).</summary>
    public static PhaseOutcome Next => new(PhaseOutcomeKind.Next);

    /// <summary>The response is complete.</summary>
    public static PhaseOutcome Done => new(PhaseOutcomeKind.Done);

    /// <summary>The URI changed (rewrite, try_files fallback, error_page): search the location again.</summary>
    public static PhaseOutcome Redirect => new(PhaseOutcomeKind.Redirect);

    /// <summary>End the request with this status and nginx's special response (error_page applies).</summary>
    public static PhaseOutcome Finalize(int status) => new(PhaseOutcomeKind.Finalize, status);
}

public enum PhaseOutcomeKind
{
    Next,
    Done,
    Redirect,
    Finalize,
}

/// <summary>One step of request processing attached to a location (or server) for one phase.</summary>
public abstract class PhaseHandler
{
    public abstract HttpPhase Phase { get; }

    public abstract ValueTask<PhaseOutcome> ExecuteAsync(RequestContext request);
}

/// <summary>A response-header step run just before the status line is sent (nginx's header filters).</summary>
public abstract class ResponseHeaderFilter
{
    public abstract void Apply(RequestContext request);
}
