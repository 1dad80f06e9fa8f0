using Sluice.Configuration.Directives;

namespace Sluice.Headers;

/// <summary>The directives of this feature (to be written).</summary>
internal static class HeadersDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
