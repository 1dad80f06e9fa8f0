namespace Sluice.Configuration.Directives;

/// <summary>How many arguments a directive takes and how it is terminated — nginx's <c>NGX_CONF_*</c> argument bits.</summary>
[Flags]
public enum DirectiveArity
{
    NoArgs = 1 << 0,
    Take1 = 1 << 1,
    Take2 = 1 << 2,
    Take3 = 1 << 3,
    Take4 = 1 << 4,
    Take5 = 1 << 5,
    Take6 = 1 << 6,
    Take7 = 1 << 7,

    /// <summary>Ends with <c>{</c> and has a body.</summary>
    Block = 1 << 8,

    /// <summary>Exactly one argument, <c>on</c> or <c>off</c>.</summary>
    Flag = 1 << 9,

    /// <summary>Any number of arguments.</summary>
    Any = 1 << 10,

    OneOrMore = 1 << 11,
    TwoOrMore = 1 << 12,

    Take12 = Take1 | Take2,
    Take13 = Take1 | Take3,
    Take23 = Take2 | Take3,
    Take123 = Take1 | Take2 | Take3,
    Take1234 = Take1 | Take2 | Take3 | Take4,
    Take34 = Take3 | Take4,
}
