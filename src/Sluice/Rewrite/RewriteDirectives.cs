using Sluice.Configuration.Directives;

namespace Sluice.Rewrite;

/// <summary>The directives of this feature (to be written).</summary>
internal static class RewriteDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
