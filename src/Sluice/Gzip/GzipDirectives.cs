using Sluice.Configuration.Directives;

namespace Sluice.Gzip;

/// <summary>The directives of this feature (to be written).</summary>
internal static class GzipDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
