using Sluice.Configuration.Directives;

namespace Sluice.Access;

/// <summary>The directives of this feature (to be written).</summary>
internal static class AccessDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
