using Sluice.Configuration.Directives;

namespace Sluice.Ssl;

/// <summary>The directives of this feature (to be written).</summary>
internal static class SslDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
