using Sluice.Configuration.Directives;

namespace Sluice.SplitClients;

/// <summary>The directives of this feature (to be written).</summary>
internal static class SplitClientsDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
