using Sluice.Configuration.Directives;

namespace Sluice.Logging.Configuration;

/// <summary>The directives of this feature (to be written).</summary>
internal static class LogDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
