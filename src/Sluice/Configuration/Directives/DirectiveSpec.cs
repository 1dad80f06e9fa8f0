namespace Sluice.Configuration.Directives;

/// <summary>Interprets one occurrence of a directive whose context and argument count were already checked.</summary>
public delegate void DirectiveHandler(DirectiveCall call);

/// <summary>One row of the directive table, like an entry of nginx's <c>ngx_command_t</c> arrays.</summary>
public sealed record DirectiveSpec(
    string Name,
    DirectiveContext Contexts,
    DirectiveArity Arity,
    DirectiveHandler Handler,
    DirectiveSupport Support = DirectiveSupport.Implemented)
{
    /// <summary>The nginx module the directive belongs to (for <c>-V</c> and the docs).</summary>
    public string Module { get; init; } = "";

    public bool IsBlock => (Arity & DirectiveArity.Block) != 0;

    /// <summary>nginx's argument-count check (<c>ngx_conf_handler</c>); <paramref name="wordCount"/> includes the name.</summary>
    public bool AcceptsWordCount(int wordCount)
    {
        if ((Arity & DirectiveArity.Any) != 0)
        {
            return true;
        }

        if ((Arity & DirectiveArity.Flag) != 0)
        {
            return wordCount == 2;
        }

        if ((Arity & DirectiveArity.OneOrMore) != 0)
        {
            return wordCount >= 2;
        }

        if ((Arity & DirectiveArity.TwoOrMore) != 0)
        {
            return wordCount >= 3;
        }

        // NGX_CONF_MAX_ARGS is 8 words; NoArgs..Take7 are consecutive bits.
        return wordCount <= 8 && ((int)Arity & (1 << (wordCount - 1))) != 0;
    }
}
