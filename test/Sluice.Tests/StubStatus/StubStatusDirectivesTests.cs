using Sluice.StubStatus;
using Sluice.Tests.Configuration;

namespace Sluice.Tests.StubStatus;

public sealed class StubStatusDirectivesTests
{
    [Fact]
    public void Any_single_argument_enables_the_page_and_repeating_is_allowed()
    {
        var server = CompiledConfig.Http("server { listen 8080; stub_status; location /s { stub_status off; stub_status on; } }").Servers[0];
        Assert.True(server.Scope.TryGetHere(StubStatusSettings.Enabled, out var atServer) && atServer);
        Assert.True(server.Locations[0].Scope.TryGetHere(StubStatusSettings.Enabled, out var atLocation) && atLocation);
    }

    [Theory]
    [InlineData("stub_status;", "\"stub_status\" directive is not allowed here")]
    [InlineData("server { listen 8080; location /s { stub_status a b; } }", "invalid number of arguments in \"stub_status\" directive")]
    [InlineData("server { listen 8080; location / { if ($uri) { stub_status; } } }", "\"stub_status\" directive is not allowed here")]
    public void Errors_are_nginx_s(string body, string message) =>
        Assert.Equal(message + " in F:3", ConfigTestHelper.LoadHttp(body).FirstError());

    [Fact]
    public void Connection_variables_are_known() =>
        ConfigTestHelper.LoadHttp("server { listen 8080; return 200 \"$connections_active $connections_reading $connections_writing $connections_waiting\"; }").AssertValid();
}
