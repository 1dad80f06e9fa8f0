using System.Text;
using Sluice.Variables;

namespace Sluice.Tests.Variables;

/// <summary>Bytes that are not UTF-8 survive the trip through a string and come out as they went in.</summary>
public sealed class RawBytesTests
{
    [Theory]
    [InlineData(new byte[] { (byte)'a', (byte)'b' })]
    [InlineData(new byte[] { 0xC3, 0xA9 })]
    [InlineData(new byte[] { (byte)'m', 0xC3, 0xA9, 0xFF, (byte)'e' })]
    [InlineData(new byte[] { 0xC3, (byte)'x' })]
    [InlineData(new byte[] { 0xF0, 0x9F, 0x98, 0x80, 0x80 })]
    public void Bytes_come_back_as_they_were(byte[] bytes)
    {
        var text = RawBytes.Decode(bytes);
        var buffer = new byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
        Assert.Equal(bytes, buffer.AsSpan(0, RawBytes.GetBytes(text, buffer)).ToArray());
    }

    [Fact]
    public void Valid_utf8_decodes_as_text()
    {
        Assert.Equal("mé", RawBytes.Decode("mé"u8));
        Assert.False(RawBytes.TryGetByte("\U0001F080", 1, out _));
        Assert.True(RawBytes.TryGetByte(RawBytes.Decode([0xFF]), 0, out var raw));
        Assert.Equal(0xFF, raw);
    }
}
