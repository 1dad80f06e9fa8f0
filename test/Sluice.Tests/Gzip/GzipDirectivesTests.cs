using Sluice.Configuration.Directives;
using Sluice.Gzip;
using Sluice.Http.Configuration;
using Sluice.Tests.Configuration;

namespace Sluice.Tests.Gzip;

public sealed class GzipDirectivesTests
{
    [Theory]
    [InlineData("gzip yes;", "invalid value \"yes\" in \"gzip\" directive, it must be \"on\" or \"off\" in F:3")]
    [InlineData("gzip_comp_level 10;", "value must be between 1 and 9 in F:3")]
    [InlineData("gzip_comp_level 0;", "value must be between 1 and 9 in F:3")]
    [InlineData("gzip_comp_level best;", "\"gzip_comp_level\" directive invalid number in F:3")]
    [InlineData("gzip_buffers 0 4k;", "\"gzip_buffers\" directive invalid value in F:3")]
    [InlineData("gzip_buffers 16 8k;\ngzip_buffers 16 8k;", "\"gzip_buffers\" directive is duplicate in F:4")]
    [InlineData("gzip_window 64k;", "\"gzip_window\" directive must be 512, 1k, 2k, 4k, 8k, 16k, or 32k in F:3")]
    [InlineData("gzip_window 3k;", "\"gzip_window\" directive must be 512, 1k, 2k, 4k, 8k, 16k, or 32k in F:3")]
    [InlineData("gzip_window big;", "\"gzip_window\" directive invalid value in F:3")]
    [InlineData("gzip_hash 256;", "\"gzip_hash\" directive must be 512, 1k, 2k, 4k, 8k, 16k, 32k, 64k, or 128k in F:3")]
    [InlineData("gzip_min_length 1x;", "\"gzip_min_length\" directive invalid value in F:3")]
    [InlineData("gzip_static yes;", "invalid value \"yes\" in F:3")]
    [InlineData("gzip_types;", "invalid number of arguments in \"gzip_types\" directive in F:3")]
    public void Gzip_errors_are_nginx_s(string body, string expected) =>
        Assert.Equal(expected, ConfigTestHelper.LoadHttp(body).FirstError());

    [Fact]
    public void Settings_are_read_into_zlib_parameters()
    {
        var compiler = ConfigTestHelper.LoadHttp(
            "gzip on;\ngzip_comp_level 6;\ngzip_window 512;\ngzip_hash 128k;\ngzip_buffers 16 8k;\ngzip_min_length 1k;\ngzip_static always;\nserver { gzip off; }").Compiler();

        var http = compiler.State<HttpConfState>().Http!;
        Assert.Equal((true, 6L, 9, 9, 1024L, GzipStatic.Always), (http.Get(GzipSettings.Enable), http.Get(GzipSettings.CompressionLevel), http.Get(GzipSettings.WindowBits), http.Get(GzipSettings.MemoryLevel), http.Get(GzipSettings.MinLength), http.Get(GzipSettings.Static)));
        Assert.Equal(new BufferSpec(16, 8192), http.Get(GzipSettings.Buffers));
        Assert.False(compiler.State<HttpConfState>().Servers[0].Scope.Get(GzipSettings.Enable));
    }

    [Fact]
    public void Defaults_are_nginx_s()
    {
        var http = ConfigTestHelper.LoadHttp("").Compiler().State<HttpConfState>().Http!;

        Assert.Equal((false, 1L, 15, 8, 20L), (http.Get(GzipSettings.Enable), http.Get(GzipSettings.CompressionLevel), http.Get(GzipSettings.WindowBits), http.Get(GzipSettings.MemoryLevel), http.Get(GzipSettings.MinLength)));
        Assert.Equal(new BufferSpec(32, 4096), http.Get(GzipSettings.Buffers));
        Assert.Equal(["text/html"], http.Get(GzipSettings.Types).Types.ToArray());
    }

    [Fact]
    public void Types_accumulate_in_a_block_and_warn_on_repeats()
    {
        var result = ConfigTestHelper.LoadHttp("gzip_types text/html Text/CSS;\ngzip_types text/css application/json;\nserver { gzip_types *; gzip_types text/plain; }");

        Assert.Equal(["duplicate MIME type \"text/html\" in F:3", "duplicate MIME type \"text/css\" in F:4"], result.Warnings());
        var state = result.Compiler().State<HttpConfState>();
        Assert.Equal(["text/html", "text/css", "application/json"], state.Http!.Get(GzipSettings.Types).Types.ToArray());
        Assert.True(state.Servers[0].Scope.Get(GzipSettings.Types).AllTypes);
    }
}
