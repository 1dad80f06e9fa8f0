using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;

namespace Sluice.Access;

/// <summary>Settings of nginx's <c>ngx_http_access_module</c>.</summary>
public static class AccessSettings
{
    /// <summary>
    /// The <c>allow</c>/<c>deny</c> rules in order; the first that matches the client decides. A block with no rule
    /// of its own inherits its parent's whole list (nginx merges the IPv4, IPv6 and unix lists as one).
    /// </summary>
    public static readonly ListSetting<AccessRule> Rules = new("allow/deny");
}

/// <summary>What an access rule matches.</summary>
public enum AccessRuleScope
{
    /// <summary><c>all</c>: every client, whatever the address family.</summary>
    All,

    /// <summary>An IPv4 or IPv6 address or network.</summary>
    Network,

    /// <summary><c>unix:</c>: clients on a unix-domain socket.</summary>
    Unix,
}

/// <summary>One <c>allow</c> or <c>deny</c>; <see cref="Network"/> is set for <see cref="AccessRuleScope.Network"/> rules.</summary>
public sealed record AccessRule(bool Deny, AccessRuleScope Scope, NginxCidr? Network);
