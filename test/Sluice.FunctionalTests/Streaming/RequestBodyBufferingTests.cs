using System.Globalization;
using System.Text;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Streaming;

/// <summary>
/// A request body buffered before proxying (proxy_request_buffering on) stays in memory only up to
/// client_body_buffer_size: a larger one goes to an unlinked temp file under client_body_temp_path, with nginx's
/// warning, so a 20 MB upload does not cost Sluice 20 MB — and the upstream still gets every byte.
/// </summary>
public sealed class RequestBodyBufferingTests
{
    private const int Total = 20 * 1024 * 1024;
    private readonly ITestOutputHelper _output;

    public RequestBodyBufferingTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task A_body_larger_than_client_body_buffer_size_waits_in_a_temp_file()
    {
        // The backend answers with how many body bytes it read and their sum.
        await using var backend = new ScriptedBackend().On("/", async request =>
        {
            var length = long.Parse(request.Head.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim(), CultureInfo.InvariantCulture);
            var buffer = new byte[65536];
            long read = 0;
            long sum = 0;
            while (read < length)
            {
                var n = await request.Socket.ReceiveAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                for (var i = 0; i < n; i++)
                {
                    sum += buffer[i];
                }

                read += n;
            }

            var text = $"{read} {sum}";
            await request.SendAsync($"HTTP/1.1 200 OK\r\nContent-Length: {text.Length}\r\nConnection: close\r\n\r\n{text}");
        });
        await using var sluice = await SluiceInstance.StartAsync(port => $$"""
            events {}
            http {
                access_log off;
                client_max_body_size 0;
                client_body_temp_path uploads 2;
                upstream backend { server {{backend.Address}}; }
                server {
                    listen 127.0.0.1:{{port}};
                    location / { proxy_pass http://backend; }
                }
            }
            """);

        // A first upload through the same path (spilled too), so that what is measured is the body, not warm-up.
        var body = new byte[Total];
        new Random(5).NextBytes(body);
        Assert.Equal($"{Total / 8} {body.Take(Total / 8).Sum(b => (long)b)}", await UploadAsync(sluice.Port, body.AsMemory(0, Total / 8)));

        using var client = await RawHttpClient.ConnectAsync(sluice.Port);
        var baseline = Rss(sluice.Process.Pid);
        await client.SendAsync($"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: {Total}\r\n\r\n");

        // All but the last byte: Sluice holds the body, and must hold it in a file.
        await client.SendAsync(body.AsMemory(0, Total - 1));
        var uploads = Path.Combine(sluice.Prefix, "uploads");
        await Eventually.TrueAsync(() => HeldFiles(sluice.Process.Pid, uploads).Count == 1, "Sluice holds an unlinked temp file under client_body_temp_path");
        await Eventually.TrueAsync(() => FileSize(HeldFd(sluice.Process.Pid, uploads)) == Total - 1, "Sluice has written all it received to the file");
        var held = HeldFiles(sluice.Process.Pid, uploads);
        var peak = Rss(sluice.Process.Pid);
        _output.WriteLine($"RSS {baseline / 1048576.0:0.0} -> {peak / 1048576.0:0.0} MiB with {Total / 1048576} MiB received; holding {string.Join(", ", held)}");
        Assert.Matches(@"/uploads/\d\d/\d{10} \(deleted\)$", held[0]);
        // Held in memory, the body would add its 20 MiB and more (the growing buffer it was read into); what
        // remains is the runtime's own (pools, thread stacks, the GC's budget), a few MiB.
        Assert.True(peak - baseline < 16L * 1024 * 1024, $"Sluice grew by {(peak - baseline) / 1048576.0:0.0} MiB holding a {Total / 1048576} MiB body");

        await client.SendAsync(body.AsMemory(Total - 1));
        var head = await client.ReadHeadAsync();
        Assert.Equal(200, head!.Status);
        using var answer = new MemoryStream();
        await client.ReadBodyAsync(head.ContentLength, into: answer);
        Assert.Equal($"{Total} {body.Sum(b => (long)b)}", Encoding.ASCII.GetString(answer.ToArray()));
        Assert.Contains($"[warn] ", sluice.ErrorLog, StringComparison.Ordinal);
        Assert.Contains($"a client request body is buffered to a temporary file {uploads}/", sluice.ErrorLog, StringComparison.Ordinal);
    }

    private static async Task<string> UploadAsync(int port, ReadOnlyMemory<byte> body)
    {
        using var client = await RawHttpClient.ConnectAsync(port);
        await client.SendAsync($"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: {body.Length}\r\n\r\n");
        await client.SendAsync(body);
        var head = await client.ReadHeadAsync();
        using var answer = new MemoryStream();
        await client.ReadBodyAsync(head!.ContentLength, into: answer);
        return Encoding.ASCII.GetString(answer.ToArray());
    }

    private static string HeldFd(int pid, string directory) =>
        Directory.GetFiles($"/proc/{pid}/fd").First(fd => (new FileInfo(fd).LinkTarget ?? "").StartsWith(directory + "/", StringComparison.Ordinal));

    /// <summary>The size of an open file, through its /proc fd link (opening it opens the unlinked file itself).</summary>
    private static long FileSize(string fd)
    {
        using var file = File.OpenHandle(fd);
        return RandomAccess.GetLength(file);
    }

    private static List<string> HeldFiles(int pid, string directory) =>
        [.. Directory.GetFiles($"/proc/{pid}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget ?? "")
            .Where(target => target.StartsWith(directory + "/", StringComparison.Ordinal))];

    private static long Rss(int pid)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
