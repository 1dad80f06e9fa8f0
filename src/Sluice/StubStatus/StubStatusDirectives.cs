using Sluice.Configuration.Directives;

namespace Sluice.StubStatus;

/// <summary>The directives of this feature (to be written).</summary>
internal static class StubStatusDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
