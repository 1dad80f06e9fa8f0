using Sluice.Configuration.Directives;

namespace Sluice.Map;

/// <summary>The directives of this feature (to be written).</summary>
internal static class MapDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
