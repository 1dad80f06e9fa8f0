using System.Net;
using Sluice.Configuration.Values;

namespace Sluice.Tests.Configuration;

public sealed class NginxCidrTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0", 8, false)]
    [InlineData("10.1.2.3/8", "10.0.0.0", 8, true)]
    [InlineData("192.168.1.100", "192.168.1.100", 32, false)]
    [InlineData("1..2.3", "1.0.2.3", 32, false)]
    [InlineData("0.0.0.0/0", "0.0.0.0", 0, false)]
    [InlineData("::1", "::1", 128, false)]
    [InlineData("2001:db8::1/32", "2001:db8::", 32, true)]
    [InlineData("::ffff:1.2.3.4", "::ffff:1.2.3.4", 128, false)]
    [InlineData("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", 128, false)]
    [InlineData("1::", "1::", 128, false)]
    public void Parses_networks_as_ngx_ptocidr(string text, string address, int prefix, bool dropped)
    {
        Assert.True(NginxCidr.TryParse(text, out var cidr, out var hostBitsDropped));
        Assert.Equal((IPAddress.Parse(address), prefix, dropped), (cidr.Address, cidr.PrefixLength, hostBitsDropped));
    }

    [Theory]
    [InlineData("US")]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.")]
    [InlineData("256.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/33")]
    [InlineData("::/129")]
    [InlineData("1::2::3")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1:2:3:4:5:6:7::8")]
    [InlineData("12345::")]
    [InlineData("[::1]")]
    [InlineData("fe80::1%eth0")]
    [InlineData("1.2.3.4::")]
    [InlineData(":")]
    public void Refuses_what_nginx_refuses(string text) =>
        Assert.False(NginxCidr.TryParse(text, out _, out _));

    [Fact]
    public void Contains_checks_the_prefix()
    {
        Assert.True(NginxCidr.TryParse("10.0.0.0/8", out var network, out _));

        Assert.True(network.Contains(IPAddress.Parse("10.255.0.1")));
        Assert.False(network.Contains(IPAddress.Parse("11.0.0.1")));
        Assert.False(network.Contains(IPAddress.IPv6Loopback));
    }
}
