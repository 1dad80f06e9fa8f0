using System.Text;
using Sluice.Upstreams.Http1;

namespace Sluice.Tests.Upstreams;

/// <summary>The upstream response head parser and the chunked decoder, on the byte sequences nginx accepts and refuses.</summary>
public sealed class Http1ParsingTests
{
    [Fact]
    public void Parses_status_line_headers_and_framing()
    {
        var head = new ResponseHead();
        var bytes = "HTTP/1.1 201 Created Here\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Empty:\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhello"u8;
        var length = head.Parse(bytes);
        Assert.Equal(bytes.Length - 5, length);
        Assert.Equal(11, head.Version);
        Assert.Equal(201, head.Status);
        Assert.Equal("Created Here", head.Reason);
        Assert.Equal(5, head.ContentLength);
        Assert.False(head.Chunked);
        Assert.False(head.ConnectionClose);
        Assert.Equal("text/plain", head["content-type"]);
        Assert.Equal("", head["X-Empty"]);
        Assert.Equal(["a=1", "b=2"], head.Headers.Where(h => h.Key == "Set-Cookie").Select(h => h.Value));
    }

    [Fact]
    public void Needs_more_bytes_until_the_empty_line()
    {
        var head = new ResponseHead();
        Assert.Equal(0, head.Parse("HTTP/1.1 200 OK\r\nA: b\r\n"u8));
        Assert.Equal(0, head.Parse("HTTP/1.1 200 OK\r\nA: b\r\n\r"u8));
        Assert.Equal(0, head.Parse("HTTP/1.1 200 OK"u8));
        Assert.Equal(19, head.Parse("HTTP/1.1 200 OK\r\n\r\n"u8));
    }

    [Fact]
    public void Accepts_bare_lf_lines_and_a_status_without_reason()
    {
        var head = new ResponseHead();
        Assert.Equal(27, head.Parse("HTTP/1.1 204\nX-A: 1\nX-B:2\n\nrest"u8));
        Assert.Equal(204, head.Status);
        Assert.Equal("", head.Reason);
        Assert.Equal("2", head["x-b"]);
    }

    [Fact]
    public void Http10_and_connection_close_end_the_connection()
    {
        var head = new ResponseHead();
        head.Parse("HTTP/1.0 200 OK\r\n\r\n"u8);
        Assert.True(head.ConnectionClose);
        head.Parse("HTTP/1.1 200 OK\r\nConnection: Close\r\n\r\n"u8);
        Assert.True(head.ConnectionClose);
        head.Parse("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n"u8);
        Assert.False(head.ConnectionClose);
    }

    [Fact]
    public void Chunked_wins_over_content_length_as_in_nginx()
    {
        var head = new ResponseHead();
        head.Parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"u8);
        Assert.True(head.Chunked);
        Assert.Equal(-1, head.ContentLength);

        // An unparsable length means "until the upstream closes"; the last of several counts.
        head.Parse("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"u8);
        Assert.Equal(-1, head.ContentLength);
        head.Parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"u8);
        Assert.Equal(4, head.ContentLength);
    }

    [Theory]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n", "no valid HTTP/1.0 header")]
    [InlineData("ICY 200 OK\r\n\r\n", "no valid HTTP/1.0 header")]
    [InlineData("HTTP/1.1 OK\r\n\r\n", "no valid HTTP/1.0 header")]
    [InlineData("HTTP/1.1 200 OK\r\nX-Bad: a\0b\r\n\r\n", "invalid header: \"X-Bad: a\\x00...\"")]
    public void Refuses_what_nginx_refuses(string response, string error)
    {
        var head = new ResponseHead();
        Assert.Equal(-1, head.Parse(Encoding.Latin1.GetBytes(response)));
        Assert.Equal(error, head.Error);
    }

    [Fact]
    public void A_line_without_colon_is_a_name_without_value()
    {
        var head = new ResponseHead();
        Assert.True(head.Parse("HTTP/1.1 200 OK\r\nodd-line\r\n\r\n"u8) > 0);
        Assert.Equal("", head["odd-line"]);
    }

    /// <summary>nginx 1.22's header parser: what it refuses, and the text it logs (the line to the offending byte, in hex).</summary>
    [Theory]
    [InlineData("Bad Header\u0001: x", "invalid header: \"Bad\\x20...\"")]
    [InlineData("odd line", "invalid header: \"odd\\x20...\"")]
    [InlineData(": no name", "invalid header: \"\\x3a...\"")]
    [InlineData(" folded", "invalid header: \"\\x20...\"")]
    [InlineData("Tab\tName: x", "invalid header: \"Tab\\x09...\"")]
    [InlineData("X-Nul: a\0b", "invalid header: \"X-Nul: a\\x00...\"")]
    [InlineData("X-Cr: a\rb", "invalid header: \"X-Cr: a\\x0d...\"")]
    public void Refuses_the_header_lines_nginx_refuses(string line, string error)
    {
        var head = new ResponseHead();
        Assert.Equal(-1, head.Parse(System.Text.Encoding.Latin1.GetBytes($"HTTP/1.1 200 OK\r\n{line}\r\n\r\n")));
        Assert.Equal(error, head.Error);
    }

    [Theory]
    [InlineData("garbage", true)]
    [InlineData("HTT", false)]
    [InlineData("HTTX", true)]
    [InlineData("HTTP/1.1 200 O", false)]
    [InlineData("HTTP/1.1 abc\r\n", true)]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: 1\r\n", false)]
    public void Knows_early_when_an_answer_cannot_be_a_head(string start, bool cannot) =>
        Assert.Equal(cannot, new ResponseHead().CannotBeHead(System.Text.Encoding.Latin1.GetBytes(start)));

    [Theory]
    [InlineData("5\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n", "hello world")]
    [InlineData("A\nhelloworld\n0\n\n", "helloworld")]
    [InlineData("0\r\n\r\n", "")]
    public void Chunked_decoder_removes_the_framing(string body, string expected)
    {
        // Whole, and byte by byte: the state carries across reads.
        var whole = new ChunkedDecoder();
        var bytes = Encoding.ASCII.GetBytes(body);
        var n = whole.Decode(bytes);
        Assert.Equal(expected, Encoding.ASCII.GetString(bytes, 0, n));
        Assert.True(whole.Done);

        var piecewise = new ChunkedDecoder();
        var output = new StringBuilder();
        foreach (var b in Encoding.ASCII.GetBytes(body))
        {
            var one = new[] { b };
            var got = piecewise.Decode(one);
            Assert.True(got >= 0);
            output.Append(Encoding.ASCII.GetString(one, 0, got));
        }

        Assert.Equal(expected, output.ToString());
        Assert.True(piecewise.Done);
    }

    [Theory]
    [InlineData("g\r\n")]
    [InlineData("\r\n")]
    [InlineData("5\r\nhelloX")]
    [InlineData("1000000000000000\r\n")]
    public void Chunked_decoder_refuses_bad_framing(string body) =>
        Assert.Equal(-1, new ChunkedDecoder().Decode(Encoding.ASCII.GetBytes(body)));

    [Fact]
    public void Chunked_decoder_reports_bytes_after_the_last_chunk()
    {
        var decoder = new ChunkedDecoder();
        var bytes = "1\r\na\r\n0\r\n\r\nHTTP/1.1"u8.ToArray();
        Assert.Equal(1, decoder.Decode(bytes));
        Assert.True(decoder.Done);
        Assert.Equal(8, decoder.Excess);
    }
}
