using StreamApp.Store;

namespace StreamApp.Tests.Store;

public sealed class StreamIdTests
{
    [Theory]
    [InlineData("1700000000000-0", 1700000000000UL, 0UL)]
    [InlineData("1700000000000-17", 1700000000000UL, 17UL)]
    [InlineData("0", 0UL, 0UL)]
    [InlineData("42", 42UL, 0UL)]
    public void Parses_Redis_stream_ids(string text, ulong ms, ulong seq)
    {
        Assert.True(StreamId.TryParse(text, out var id));
        Assert.Equal(new StreamId(ms, seq), id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("1-")]
    [InlineData("-1")]
    [InlineData("1-2-3")]
    [InlineData("+1-0")]
    [InlineData(" 1-0")]
    [InlineData("abc")]
    [InlineData("99999999999999999999-0")]
    public void Rejects_anything_else(string text) => Assert.False(StreamId.TryParse(text, out _));

    [Fact]
    public void Orders_by_time_then_sequence_and_round_trips()
    {
        var ids = new[] { new StreamId(5, 1), new StreamId(4, 9), new StreamId(5, 0), StreamId.Zero };
        Assert.Equal([StreamId.Zero, new StreamId(4, 9), new StreamId(5, 0), new StreamId(5, 1)], ids.Order());
        Assert.True(new StreamId(5, 0) < new StreamId(5, 1));
        Assert.True(new StreamId(6, 0) > new StreamId(5, ulong.MaxValue));
        Assert.Equal("5-1", new StreamId(5, 1).ToString());
        Assert.Equal(new StreamId(5, 2), new StreamId(5, 1).Next());
        Assert.Equal(new StreamId(6, 0), new StreamId(5, ulong.MaxValue).Next());
        Assert.Equal(new StreamId(5, 1), StreamId.Parse(new StreamId(5, 1).ToString()));
    }
}
