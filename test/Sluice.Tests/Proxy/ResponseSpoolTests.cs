using Sluice.Core;
using Sluice.Proxy.Runtime;

namespace Sluice.Tests.Proxy;

/// <summary>The spool between a buffered response's upstream and a slow client: order kept through memory and temp file, memory bounded.</summary>
public sealed class ResponseSpoolTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sluice-spool-" + Guid.NewGuid().ToString("N"));
    private readonly List<string> _logged = [];

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private ResponseSpool Spool(long maxTempFileSize) =>
        new(new ResponseBuffering(BufferCount: 2, BufferSize: 4, BusySize: 4, maxTempFileSize, TempFileWriteSize: 8, new TempFileDirectory(_root, [])), (level, message) => _logged.Add($"{level}: {message}"));

    [Fact]
    public async Task Keeps_the_order_through_memory_and_temp_file()
    {
        var spool = Spool(maxTempFileSize: 1024);
        for (var i = 0; i < 10; i++)
        {
            await AddAsync(spool, $"{i:d4}");
        }

        await spool.CompleteAsync(failed: false);
        Assert.Equal(string.Concat(Enumerable.Range(0, 10).Select(i => $"{i:d4}")), await TakeAllAsync(spool));
        Assert.Contains(_logged, line => line.StartsWith("Warn: an upstream response is buffered to a temporary file " + _root + "/", StringComparison.Ordinal));
        spool.Close();
    }

    [Fact]
    public async Task Without_a_temp_file_the_upstream_side_waits_for_a_free_buffer()
    {
        var spool = Spool(maxTempFileSize: 0);
        await AddAsync(spool, "aaaa");
        await AddAsync(spool, "bbbb");
        var third = AddAsync(spool, "cccc");
        Assert.False(third.IsCompleted);

        var first = await spool.TakeAsync();
        Assert.False(third.IsCompleted);
        spool.Return(first.Buffer!);
        await third;

        await spool.CompleteAsync(failed: false);
        Assert.Equal("bbbbcccc", await TakeAllAsync(spool));
        Assert.Empty(_logged);
        spool.Close();
    }

    [Fact]
    public async Task A_gone_client_stops_the_upstream_side()
    {
        var spool = Spool(maxTempFileSize: 0);
        await AddAsync(spool, "aaaa");
        await AddAsync(spool, "bbbb");
        var third = AddAsync(spool, "cccc");
        spool.ClientGone(new IOException("reset"));
        await Assert.ThrowsAsync<OperationCanceledException>(async () => await third);
        spool.Close();
    }

    private static Task AddAsync(ResponseSpool spool, string text)
    {
        var buffer = spool.RentBuffer();
        System.Text.Encoding.ASCII.GetBytes(text, buffer);
        return spool.AddAsync(buffer, text.Length).AsTask();
    }

    private static async Task<string> TakeAllAsync(ResponseSpool spool)
    {
        var text = new System.Text.StringBuilder();
        while (await spool.TakeAsync() is { IsEnd: false } piece)
        {
            if (piece.Buffer is { } buffer)
            {
                text.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, piece.Length));
                spool.Return(buffer);
            }
            else
            {
                var bytes = new byte[piece.Length];
                Assert.Equal(piece.Length, await spool.ReadAsync(bytes, piece.Offset));
                text.Append(System.Text.Encoding.ASCII.GetString(bytes));
            }
        }

        return text.ToString();
    }
}
