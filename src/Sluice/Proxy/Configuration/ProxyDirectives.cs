using Sluice.Configuration.Directives;

namespace Sluice.Proxy.Configuration;

/// <summary>The directives of this feature (to be written).</summary>
internal static class ProxyDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
