using Sluice.Configuration;

namespace Sluice.Tests.Configuration;

public sealed class ConfigTestHelperTests
{
    [Fact]
    public void Unknown_directive_is_reported_with_file_and_line()
    {
        var result = ConfigTestHelper.LoadHttp("foo;");
        Assert.False(result.Success);
        Assert.Equal("unknown directive \"foo\" in F:3", result.FirstError());
    }

    [Fact]
    public void Empty_http_block_is_accepted()
    {
        var result = ConfigTestHelper.LoadHttp("");
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
    }
}
