using Sluice.Variables;

namespace Sluice.Tests.Variables;

/// <summary><c>$arg_NAME</c> as nginx's <c>ngx_http_arg</c> finds it.</summary>
public sealed class ArgVariableTests
{
    [Theory]
    [InlineData("x=1&y=2", "x", "1")]
    [InlineData("y=2&x=1", "x", "1")]
    [InlineData("X=3", "x", "3")]
    [InlineData("xx=2&x=3", "x", "3")]
    [InlineData("x=&y", "x", "")]
    [InlineData("x=1&x=2", "x", "1")]
    [InlineData("x=a%20b", "x", "a%20b")]
    [InlineData("x", "x", null)]
    [InlineData("x&y=1", "x", null)]
    [InlineData("ax=1", "x", null)]
    [InlineData("", "x", null)]
    [InlineData(null, "x", null)]
    public void Finds_the_first_name_followed_by_equals(string? args, string name, string? expected) =>
        Assert.Equal(expected, CoreVariables.Arg(args, name));
}
