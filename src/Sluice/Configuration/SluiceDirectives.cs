using Sluice.Configuration.Directives;

namespace Sluice.Configuration;

/// <summary>The directive table of this build: every feature registers its directives here, in nginx's module order.</summary>
public static class SluiceDirectives
{
    private static readonly Lazy<DirectiveTable> Shared = new(Create);

    /// <summary>The table, built once; it is immutable after the first lookup.</summary>
    public static DirectiveTable Table => Shared.Value;

    public static DirectiveTable Create()
    {
        var table = new DirectiveTable();
        Core.CoreDirectives.Register(table);
        return table;
    }
}
