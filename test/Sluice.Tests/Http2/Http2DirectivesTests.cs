using Sluice.Http2;
using Sluice.Tests.Configuration;

namespace Sluice.Tests.Http2;

public sealed class Http2DirectivesTests
{
    [Theory]
    [InlineData("http2_recv_buffer_size 32;", "\"http2_recv_buffer_size\" directive value is too small")]
    [InlineData("server { http2_recv_buffer_size 1m; }", "\"http2_recv_buffer_size\" directive is not allowed here")]
    [InlineData("http2_pool_size 1;", "the pool size must be no less than 112")]
    [InlineData("http2_pool_size 120;", "the pool size must be a multiple of 16")]
    [InlineData("http2_body_preread_size 3g;", "\"http2_body_preread_size\" directive invalid value")]
    [InlineData("http2_body_preread_size 2147483648;", "the maximum body preread buffer size is 2147483647")]
    [InlineData("http2_streams_index_size 0;", "\"http2_streams_index_size\" directive must be a power of two")]
    [InlineData("http2_streams_index_size 3;", "\"http2_streams_index_size\" directive must be a power of two")]
    [InlineData("http2_chunk_size 0;", "the http2 chunk size cannot be zero")]
    [InlineData("http2_push off; http2_push off;", "\"http2_push\" directive is duplicate")]
    [InlineData("http2_push /a; http2_push off;", "\"http2_push\" directive \"off\" parameter cannot be used with URI")]
    [InlineData("http2_push off; http2_push /a;", "\"http2_push\" directive URI cannot be used with \"off\" parameter")]
    public void Errors_are_nginx_s(string directives, string message) =>
        Assert.Equal(message + " in F:3", ConfigTestHelper.LoadHttp(directives).FirstError());

    [Fact]
    public void Obsolete_directives_warn_and_are_ignored()
    {
        var result = ConfigTestHelper.LoadHttp("http2_max_requests foo; http2_idle_timeout 1s;");
        result.AssertValid();
        Assert.Equal(
            [
                "the \"http2_max_requests\" directive is obsolete, use the \"keepalive_requests\" directive instead in F:3",
                "the \"http2_idle_timeout\" directive is obsolete, use the \"keepalive_timeout\" directive instead in F:3",
            ],
            result.Warnings());
    }

    [Fact]
    public void Values_are_stored()
    {
        var http = CompiledConfig.Http("http2_chunk_size 100m; http2_streams_index_size 64; http2_push /a; http2_push $uri;").Http!;
        Assert.Equal((1 << 24) - 1, http.Get(Http2Settings.ChunkSize));
        Assert.Equal(64, http.Get(Http2Settings.StreamsIndexSize));
        Assert.Equal(["/a", "$uri"], http.Get(Http2Settings.Push)!.Select(t => t.Source));
    }
}
