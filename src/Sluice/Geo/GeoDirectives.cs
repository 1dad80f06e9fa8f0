using Sluice.Configuration.Directives;

namespace Sluice.Geo;

/// <summary>The directives of this feature (to be written).</summary>
internal static class GeoDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
