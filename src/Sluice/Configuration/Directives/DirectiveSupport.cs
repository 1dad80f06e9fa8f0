namespace Sluice.Configuration.Directives;

/// <summary>What Sluice does with a directive it recognises.</summary>
public enum DirectiveSupport
{
    /// <summary>Parsed and acted on.</summary>
    Implemented,

    /// <summary>Parsed and validated as nginx does, and deliberately without effect (e.g. <c>worker_rlimit_nofile</c>, temp paths).</summary>
    Accepted,

    /// <summary>Parsed and validated, but its runtime behaviour is not built yet: <c>-t</c> and startup fail naming it.</summary>
    NotImplemented,
}
