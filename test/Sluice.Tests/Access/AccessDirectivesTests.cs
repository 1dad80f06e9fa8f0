using System.Net;
using Sluice.Access;
using Sluice.Tests.Configuration;

namespace Sluice.Tests.Access;

public sealed class AccessDirectivesTests
{
    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/x")]
    [InlineData("10.0.0.0/")]
    [InlineData("office.example.com")]
    [InlineData("255.255.255.255")]
    [InlineData("1::2::3")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("unix:/tmp/x")]
    public void Invalid_address_is_an_invalid_parameter(string address)
    {
        var result = ConfigTestHelper.LoadHttp($"allow {address};");
        Assert.Equal($"invalid parameter \"{address}\" in F:3", result.FirstError());
    }

    [Theory]
    [InlineData("10.0.0.1/8")]
    [InlineData("1.2.3.4/0")]
    [InlineData("2001:db8::1/32")]
    public void Host_bits_in_a_network_warn(string network)
    {
        var result = ConfigTestHelper.LoadHttp($"deny {network};");
        result.AssertValid();
        Assert.Equal([$"low address bits of {network} are meaningless in F:3"], result.Warnings());
    }

    [Fact]
    public void Rules_are_kept_in_order_with_their_kind()
    {
        var location = CompiledConfig.Http("server { listen 8080; location / { allow 10.0.0.0/8; allow ::1; deny unix:; deny all; } }").Servers[0].Locations[0];
        var rules = location.Scope.GetList(AccessSettings.Rules);
        Assert.Equal([AccessRuleScope.Network, AccessRuleScope.Network, AccessRuleScope.Unix, AccessRuleScope.All], rules.Select(r => r.Scope));
        Assert.Equal([false, false, true, true], rules.Select(r => r.Deny));
        Assert.Equal(IPAddress.Parse("10.0.0.0"), rules[0].Network!.Value.Network);
        Assert.Equal(8, rules[0].Network!.Value.PrefixLength);
    }

    [Fact]
    public void Access_rules_are_not_allowed_in_if()
    {
        var result = ConfigTestHelper.LoadHttp("server { listen 8080; location / { if ($uri) { allow all; } } }");
        Assert.Equal("\"allow\" directive is not allowed here in F:3", result.FirstError());
    }

    [Fact]
    public void Access_rules_are_allowed_in_limit_except()
    {
        ConfigTestHelper.LoadHttp("server { listen 8080; location / { limit_except GET { deny all; } } }").AssertValid();
    }
}
