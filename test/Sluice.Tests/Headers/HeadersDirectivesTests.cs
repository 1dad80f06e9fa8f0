using Sluice.Headers;
using Sluice.Tests.Configuration;

namespace Sluice.Tests.Headers;

public sealed class HeadersDirectivesTests
{
    [Theory]
    [InlineData("add_header X-B v foo;", "invalid parameter \"foo\"")]
    [InlineData("add_trailer X-B v never;", "invalid parameter \"never\"")]
    [InlineData("add_header X-A \"a$\";", "invalid variable name")]
    [InlineData("expires 1h; expires 2h;", "\"expires\" directive is duplicate")]
    [InlineData("expires foo;", "\"expires\" directive invalid value")]
    [InlineData("expires foo 1h;", "\"expires\" directive invalid value")]
    [InlineData("expires modified foo;", "\"expires\" directive invalid value")]
    [InlineData("expires modified epoch;", "\"expires\" directive invalid value")]
    [InlineData("expires modified @1h;", "\"expires\" directive daily time cannot be used with \"modified\" parameter")]
    [InlineData("expires @25h;", "\"expires\" directive daily time value must be less than 24 hours")]
    [InlineData("expires 1M 1y;", "\"expires\" directive invalid value")]
    public void Errors_are_nginx_s(string directives, string message) =>
        Assert.Equal(message + " in F:3", ConfigTestHelper.LoadHttp(directives).FirstError());

    [Fact]
    public void Header_values_use_variables() =>
        Assert.Equal("unknown \"undefined_var\" variable", ConfigTestHelper.LoadHttp("add_header X-A $undefined_var;").FirstError());

    [Theory]
    [InlineData("epoch", ExpiresMode.Epoch, 0)]
    [InlineData("max", ExpiresMode.Max, 0)]
    [InlineData("off", ExpiresMode.Off, 0)]
    [InlineData("1h", ExpiresMode.Access, 3600)]
    [InlineData("-1", ExpiresMode.Access, -1)]
    [InlineData("+1d", ExpiresMode.Access, 86400)]
    [InlineData("@1d", ExpiresMode.Daily, 86400)]
    [InlineData("@18h30m", ExpiresMode.Daily, 66600)]
    [InlineData("modified +1d", ExpiresMode.Modified, 86400)]
    public void Expires_is_parsed(string value, ExpiresMode mode, long seconds)
    {
        var http = CompiledConfig.Http($"expires {value};").Http!;
        Assert.Equal(new ExpiresSpec(mode, seconds, null), http.Get(HeadersSettings.Expires));
    }

    [Fact]
    public void Expires_with_variables_is_kept_for_the_request()
    {
        var spec = CompiledConfig.Http("expires modified $arg_ttl;").Http!.Get(HeadersSettings.Expires)!;
        Assert.Equal(ExpiresMode.Modified, spec.Mode);
        Assert.Equal("$arg_ttl", spec.Value!.Source);
    }

    [Fact]
    public void Headers_keep_order_value_and_always()
    {
        var server = CompiledConfig.Http("""
            server { listen 8080;
                add_header X-Frame-Options "SAMEORIGIN" always;
                add_header X-Host $host;
                add_header X-Empty "";
                location / { add_trailer X-Took $request_time; }
            }
            """).Servers[0];

        var headers = server.Scope.GetList(HeadersSettings.Headers);
        Assert.Equal(["X-Frame-Options", "X-Host", "X-Empty"], headers.Select(h => h.Name));
        Assert.Equal([true, false, false], headers.Select(h => h.Always));
        Assert.False(headers[1].Value.IsLiteral);
        Assert.Equal("", headers[2].Value.Source);
        Assert.Equal("X-Took", Assert.Single(server.Locations[0].Scope.GetList(HeadersSettings.Trailers)).Name);
    }
}
