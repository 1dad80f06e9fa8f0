using Sluice.Configuration.Directives;

namespace Sluice.LimitReq;

/// <summary>The directives of this feature (to be written).</summary>
internal static class LimitReqDirectives
{
    public static void Register(DirectiveTable table)
    {
    }
}
