using System.Net;
using System.Net.Sockets;
using Sluice.Core;
using Sluice.Http.Runtime;

namespace Sluice.Access;

/// <summary>nginx's access module: the first <c>allow</c>/<c>deny</c> rule matching the client decides; deny is 403.</summary>
internal sealed class AccessFeature : IHttpFeature
{
    public void BuildLocation(LocationBuildContext location)
    {
        var rules = location.GetList(AccessSettings.Rules);
        if (rules.Count > 0)
        {
            location.Handlers.Add(new AccessHandler([.. rules]));
        }
    }
}

internal sealed class AccessHandler : PhaseHandler
{
    private readonly AccessRule[] _rules;

    public AccessHandler(AccessRule[] rules) => _rules = rules;

    public override HttpPhase Phase => HttpPhase.Access;

    public override ValueTask<PhaseOutcome> ExecuteAsync(RequestContext request)
    {
        var client = request.Connection?.Remote?.Address ?? request.Http.Connection.RemoteIpAddress;
        if (client is { IsIPv4MappedToIPv6: true })
        {
            client = client.MapToIPv4();
        }

        foreach (var rule in _rules)
        {
            if (!Matches(rule, client))
            {
                continue;
            }

            if (!rule.Deny)
            {
                return ValueTask.FromResult(PhaseOutcome.Next);
            }

            request.ErrorLog.Write(LogLevel.Error, "access forbidden by rule");
            return ValueTask.FromResult(PhaseOutcome.Finalize(403));
        }

        return ValueTask.FromResult(PhaseOutcome.Next);
    }

    private static bool Matches(AccessRule rule, IPAddress? client)
    {
        switch (rule.Scope)
        {
            case AccessRuleScope.All:
                return true;
            case AccessRuleScope.Unix:
                return client is null;
        }

        if (client is null || rule.Network is not { } network || network.Family != client.AddressFamily)
        {
            return false;
        }

        var address = client.GetAddressBytes();
        var net = network.Network.GetAddressBytes();
        var bits = network.PrefixLength;
        for (var i = 0; i < address.Length && bits > 0; i++)
        {
            var take = Math.Min(8, bits);
            var mask = (byte)(0xFF << (8 - take));
            if ((address[i] & mask) != (net[i] & mask))
            {
                return false;
            }

            bits -= take;
        }

        return client.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6;
    }
}
