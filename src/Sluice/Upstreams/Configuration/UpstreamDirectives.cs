using Sluice.Configuration.Directives;

namespace Sluice.Upstreams.Configuration;

/// <summary>The directives of this feature (to be written).</summary>
internal static class UpstreamDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
