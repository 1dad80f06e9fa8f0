using Sluice.SplitClients;
using Sluice.Tests.Configuration;

namespace Sluice.Tests.SplitClients;

public sealed class SplitClientsDirectivesTests
{
    [Theory]
    [InlineData("split_clients $uri $s {\n    60% a;\n    50% b;\n}", "percent total is greater than 100% in F:6")]
    [InlineData("split_clients $uri $s {\n    * a;\n    1% b;\n}", "percent total is greater than 100% in F:6")]
    [InlineData("split_clients $uri $s { 0.001% a; }", "invalid percent value \"0.001%\" in F:3")]
    [InlineData("split_clients $uri $s { 0% a; }", "invalid percent value \"0%\" in F:3")]
    [InlineData("split_clients $uri $s { 1.2.% a; }", "invalid percent value \"1.2.%\" in F:3")]
    [InlineData("split_clients $uri $s { % a; }", "invalid percent value \"%\" in F:3")]
    [InlineData("split_clients $uri $s { include a.conf; }", "invalid percent value \"include\" in F:3")]
    [InlineData("split_clients $uri $s { 10% a { } }", "unexpected \"{\" in F:3")]
    [InlineData("split_clients $uri s { }", "invalid variable name \"s\" in F:3")]
    [InlineData("split_clients $uri $uri { }", "the duplicate \"uri\" variable in F:3")]
    [InlineData("split_clients $nope $s { }", "unknown \"nope\" variable")]
    public void Split_clients_errors_are_nginx_s(string body, string expected) =>
        Assert.Equal(expected, ConfigTestHelper.LoadHttp(body).FirstError());

    [Fact]
    public void Shares_become_cumulative_hash_bounds()
    {
        var compiler = ConfigTestHelper.LoadHttp("split_clients \"${remote_addr}AAA\" $variant {\n    0.5% a;\n    49.5% b;\n    * c;\n}").Compiler();

        var split = Assert.Single(compiler.State<SplitClientsConfState>().Splits);
        Assert.Equal("variant", split.Variable);
        Assert.Equal("${remote_addr}AAA", split.Source.Source);
        Assert.Equal(
            [
                new SplitClientsBucket((uint)(50UL * uint.MaxValue / 10000), "a"),
                new SplitClientsBucket((uint)((50UL * uint.MaxValue / 10000) + (4950UL * uint.MaxValue / 10000)), "b"),
                new SplitClientsBucket(null, "c"),
            ],
            split.Buckets.ToArray());
    }

    [Fact]
    public void Exactly_one_hundred_percent_is_accepted()
    {
        Assert.Empty(ConfigTestHelper.LoadHttp("split_clients $uri $s { 100.00% a; }").RealErrors());
        Assert.Empty(ConfigTestHelper.LoadHttp("split_clients $uri $s { 33.34% a; 66.66% b; }").RealErrors());
    }
}
