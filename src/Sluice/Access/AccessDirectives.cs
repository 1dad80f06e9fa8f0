using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using static Sluice.Configuration.Directives.DirectiveContext;

namespace Sluice.Access;

/// <summary><c>allow</c> and <c>deny</c> (nginx's <c>ngx_http_access_module</c>).</summary>
internal static class AccessDirectives
{
    public static void Register(DirectiveTable table)
    {
        const DirectiveContext contexts = DirectiveContext.Http | Server | Location | LimitExcept;
        table.Add(new DirectiveSpec("allow", contexts, DirectiveArity.Take1, AccessRule, DirectiveSupport.Implemented) { Module = "http_access" });
        table.Add(new DirectiveSpec("deny", contexts, DirectiveArity.Take1, AccessRule, DirectiveSupport.Implemented) { Module = "http_access" });
    }

    private static void AccessRule(DirectiveCall call)
    {
        var deny = call.Name == "deny";
        var value = call.Args[0];
        AccessRule rule;
        if (value == "all")
        {
            rule = new AccessRule(deny, AccessRuleScope.All, null);
        }
        else if (value == "unix:")
        {
            rule = new AccessRule(deny, AccessRuleScope.Unix, null);
        }
        else
        {
            var status = NginxCidr.Parse(value, out var network);
            if (status == CidrParseStatus.Invalid)
            {
                throw call.Error($"invalid parameter \"{value}\"");
            }

            if (status == CidrParseStatus.LowBitsCleared)
            {
                call.Warn($"low address bits of {value} are meaningless");
            }

            rule = new AccessRule(deny, AccessRuleScope.Network, network);
        }

        call.Scope.ListHere(AccessSettings.Rules).Add(rule);
    }
}
