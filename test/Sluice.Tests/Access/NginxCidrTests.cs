using System.Net;
using Sluice.Configuration.Values;

namespace Sluice.Tests.Access;

public sealed class NginxCidrTests
{
    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", 32, CidrParseStatus.Exact)]
    [InlineData("10.0.0.0/08", "10.0.0.0", 8, CidrParseStatus.Exact)]
    [InlineData("10.1.2.3/8", "10.0.0.0", 8, CidrParseStatus.LowBitsCleared)]
    [InlineData("0.0.0.0/0", "0.0.0.0", 0, CidrParseStatus.Exact)]
    [InlineData("::1", "::1", 128, CidrParseStatus.Exact)]
    [InlineData("::", "::", 128, CidrParseStatus.Exact)]
    [InlineData("1::", "1::", 128, CidrParseStatus.Exact)]
    [InlineData("2001:db8::1/32", "2001:db8::", 32, CidrParseStatus.LowBitsCleared)]
    [InlineData("::ffff:1.2.3.4/128", "::ffff:1.2.3.4", 128, CidrParseStatus.Exact)]
    [InlineData("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", 128, CidrParseStatus.Exact)]
    public void Parses_like_ngx_ptocidr(string text, string network, int prefix, CidrParseStatus status)
    {
        Assert.Equal(status, NginxCidr.Parse(text, out var cidr));
        Assert.Equal(IPAddress.Parse(network), cidr.Network);
        Assert.Equal(prefix, cidr.PrefixLength);
    }

    [Theory]
    [InlineData("")]
    [InlineData(":")]
    [InlineData("12345::")]
    [InlineData("1::2::3")]
    [InlineData("1:2:3:4:5:6:7")]
    [InlineData("::1/129")]
    [InlineData("256.0.0.0")]
    [InlineData("1.2.3")]
    public void Refuses_what_nginx_refuses(string text) =>
        Assert.Equal(CidrParseStatus.Invalid, NginxCidr.Parse(text, out _));
}
