using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>One response reduced to what the comparison looks at; <see cref="Date"/> is kept aside (it differs by the moment).</summary>
public sealed record ObservedResponse(int Status, string Reason, SortedDictionary<string, string> Headers, string Body)
{
    public string? Date { get; init; }

    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Status).Append(' ').Append(Reason).Append('\n');
        foreach (var (k, v) in Headers)
        {
            sb.Append(k).Append(": ").Append(v).Append('\n');
        }

        sb.Append('\n').Append(Body);
        return sb.ToString();
    }
}

/// <summary>
/// nginx and Sluice running the same configuration side by side on loopback, against the same backends and
/// the same document root, so each request can be sent to both and the answers compared. The configuration
/// is a template: <c>{{LISTEN}}</c> (this server's address), <c>{{PORT}}</c>, <c>{{LISTEN2}}</c> and <c>{{PORT2}}</c>
/// (a second address of its own, for configurations with two listeners), <c>{{ROOT}}</c> (shared files),
/// <c>{{LOGS}}</c> (this server's log directory), <c>{{B1}}</c>… (backend addresses).
/// </summary>
public sealed partial class DifferentialRig : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly NginxProcess _nginx;
    private readonly SluiceProcess _sluice;
    private readonly HttpClient _client;

    private DifferentialRig(TempDirectory dir, NginxProcess nginx, SluiceProcess sluice, (int First, int Second) nginxPorts, (int First, int Second) sluicePorts, IReadOnlyList<TestBackend> backends)
    {
        _dir = dir;
        _nginx = nginx;
        _sluice = sluice;
        (NginxPort, NginxPort2) = nginxPorts;
        (SluicePort, SluicePort2) = sluicePorts;
        Backends = backends;
        _client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None, UseCookies = false, PooledConnectionLifetime = TimeSpan.Zero })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public int NginxPort { get; }

    public int SluicePort { get; }

    /// <summary>The ports of <c>{{LISTEN2}}</c>.</summary>
    public int NginxPort2 { get; }

    public int SluicePort2 { get; }

    public IReadOnlyList<TestBackend> Backends { get; }

    public string Root => _dir.Combine("root");

    public string NginxLogs => _dir.Combine("nginx", "logs");

    public string SluiceLogs => _dir.Combine("sluice", "logs");

    public SluiceProcess Sluice => _sluice;

    /// <summary>Starts backends, writes the files under the shared root, then starts nginx and Sluice.</summary>
    public static async Task<DifferentialRig> StartAsync(string configTemplate, int backendCount = 0, IDictionary<string, string>? files = null)
    {
        var dir = new TempDirectory("sluice-diff");
        var backends = new List<TestBackend>();
        NginxProcess? nginx = null;
        SluiceProcess? sluice = null;
        try
        {
            for (var i = 1; i <= backendCount; i++)
            {
                backends.Add(await TestBackend.StartAsync($"b{i}"));
            }

            Directory.CreateDirectory(dir.Combine("root"));
            foreach (var (path, content) in files ?? new Dictionary<string, string>())
            {
                var full = dir.Write("root/" + path, content);
                File.SetLastWriteTimeUtc(full, new DateTime(2025, 12, 7, 10, 30, 0, DateTimeKind.Utc));
            }

            var nginxPorts = (FreePort.Next(), FreePort.Next());
            var sluicePorts = (FreePort.Next(), FreePort.Next());
            var nginxConf = Write(dir, "nginx", configTemplate, nginxPorts, backends);
            var sluiceConf = Write(dir, "sluice", configTemplate, sluicePorts, backends);

            nginx = await NginxProcess.StartAsync(dir.Combine("nginx") + "/", nginxConf, nginxPorts.Item1);
            sluice = SluiceProcess.Start("-p", dir.Combine("sluice") + "/", "-c", sluiceConf);
            try
            {
                await NginxProcess.WaitForPortAsync(sluicePorts.Item1, () => sluice.HasExited, "sluice");
            }
            catch (InvalidOperationException)
            {
                throw new InvalidOperationException("sluice did not start:\n" + sluice.Stderr);
            }

            return new DifferentialRig(dir, nginx, sluice, nginxPorts, sluicePorts, backends);
        }
        catch
        {
            // A rig that does not start stops what it did start: no nginx or backend outlives the failed fixture.
            await StopAsync(nginx, sluice, backends, dir);
            throw;
        }
    }

    /// <summary>Stops the servers (those that were started) and removes the directory.</summary>
    private static async ValueTask StopAsync(NginxProcess? nginx, SluiceProcess? sluice, IEnumerable<TestBackend> backends, TempDirectory dir)
    {
        if (nginx is not null)
        {
            await nginx.DisposeAsync();
        }

        if (sluice is not null)
        {
            await sluice.DisposeAsync();
        }

        foreach (var backend in backends)
        {
            await backend.DisposeAsync();
        }

        dir.Dispose();
    }

    private static string Write(TempDirectory dir, string who, string template, (int First, int Second) ports, List<TestBackend> backends)
    {
        Directory.CreateDirectory(dir.Combine(who, "logs"));
        var text = template
            .Replace("{{LISTEN}}", $"127.0.0.1:{ports.First}", StringComparison.Ordinal)
            .Replace("{{PORT}}", ports.First.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{LISTEN2}}", $"127.0.0.1:{ports.Second}", StringComparison.Ordinal)
            .Replace("{{PORT2}}", ports.Second.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{ROOT}}", dir.Combine("root"), StringComparison.Ordinal)
            .Replace("{{LOGS}}", dir.Combine(who, "logs"), StringComparison.Ordinal);
        for (var i = 0; i < backends.Count; i++)
        {
            text = text.Replace($"{{{{B{i + 1}}}}}", backends[i].Address, StringComparison.Ordinal);
        }

        var header = $"pid {dir.Combine(who, "logs", "server.pid")};\nerror_log {dir.Combine(who, "logs", "error.log")} info;\n";
        return dir.Write($"{who}/conf/server.conf", header + text);
    }

    /// <summary>
    /// Headers that differ by design or by moment: the date, and the framing (nginx may chunk what Kestrel sends with a
    /// length, or the reverse). Connection and Keep-Alive are compared: they say whether the server keeps the connection.
    /// </summary>
    private static readonly string[] IgnoredHeaders = ["date", "transfer-encoding"];

    /// <summary>
    /// Sends the same request to both (to <c>{{LISTEN2}}</c> with <paramref name="secondListener"/>); <paramref name="configure"/>
    /// adds headers, method, body.
    /// </summary>
    public async Task<(ObservedResponse Nginx, ObservedResponse Sluice)> SendAsync(string pathAndQuery, Action<HttpRequestMessage>? configure = null, bool secondListener = false)
    {
        var nginx = await SendOneAsync(secondListener ? NginxPort2 : NginxPort, pathAndQuery, configure);
        var sluice = await SendOneAsync(secondListener ? SluicePort2 : SluicePort, pathAndQuery, configure);
        return (nginx, sluice);
    }

    private async Task<ObservedResponse> SendOneAsync(int port, string pathAndQuery, Action<HttpRequestMessage>? configure)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{pathAndQuery}");
        configure?.Invoke(request);
        using var response = await _client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            headers[name.ToLowerInvariant()] = string.Join(", ", values);
        }

        return Observe((int)response.StatusCode, response.ReasonPhrase ?? "", headers, Encoding.UTF8.GetString(bytes), bytes.Length, port);
    }

    /// <summary>
    /// The comparable form of a response: ports, product tokens and the shared root normalized; the date kept aside;
    /// a Content-Length that is the body's length made the normalized body's (so "nginx" and "sluice" in a page's
    /// last line do not count; a wrong length stays as it came and shows).
    /// </summary>
    private ObservedResponse Observe(int status, string reason, SortedDictionary<string, string> headers, string body, int bodyBytes, int port)
    {
        foreach (var name in headers.Keys.ToList())
        {
            headers[name] = Normalize(headers[name], port);
        }

        headers.TryGetValue("date", out var date);
        foreach (var ignored in IgnoredHeaders)
        {
            headers.Remove(ignored);
        }

        if (headers.TryGetValue("server", out var server))
        {
            headers["server"] = ServerToken().Replace(server, m => m.Value.Contains('/', StringComparison.Ordinal) ? "PRODUCT/VERSION" : "PRODUCT");
        }

        var normalized = Normalize(body, port);
        if (headers.TryGetValue("content-length", out var length) && length == bodyBytes.ToString(CultureInfo.InvariantCulture))
        {
            headers["content-length"] = (bodyBytes + normalized.Length - body.Length).ToString(CultureInfo.InvariantCulture);
        }

        return new ObservedResponse(status, reason, headers, normalized) { Date = date };
    }

    /// <summary>Makes the two servers' answers comparable: their ports and product names differ by design.</summary>
    private string Normalize(string text, int port) =>
        ServerToken().Replace(text.Replace(":" + port.ToString(CultureInfo.InvariantCulture), ":PORT", StringComparison.Ordinal), m => m.Value.Contains('/', StringComparison.Ordinal) ? "PRODUCT/VERSION" : "PRODUCT")
            .Replace(Root, "ROOT", StringComparison.Ordinal);

    [GeneratedRegex(@"\b(nginx|sluice)(/\d+\.\d+\.\d+)?\b")]
    private static partial Regex ServerToken();

    /// <summary>Sends raw bytes (for requests HttpClient refuses to make) to both and parses the answers.</summary>
    public async Task<(ObservedResponse Nginx, ObservedResponse Sluice)> SendRawAsync(string rawRequest, bool secondListener = false)
    {
        var nginx = await RawAsync(secondListener ? NginxPort2 : NginxPort, rawRequest);
        var sluice = await RawAsync(secondListener ? SluicePort2 : SluicePort, rawRequest);
        return (nginx, sluice);
    }

    private async Task<ObservedResponse> RawAsync(int port, string rawRequest)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(rawRequest));

        // Read the head, then Content-Length bytes (or until the server closes); no half-close, which
        // real clients do not do.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(buffer)) < 0)
        {
            var n = await stream.ReadAsync(chunk, cts.Token);
            if (n == 0)
            {
                break;
            }

            buffer.Write(chunk, 0, n);
        }

        var text = Encoding.Latin1.GetString(buffer.ToArray());
        var head = headerEnd < 0 ? text : text[..headerEnd];
        var isHead = rawRequest.StartsWith("HEAD ", StringComparison.Ordinal);
        var lengthMatch = Regex.Match(head, @"(?im)^content-length:\s*(\d+)");
        if (headerEnd >= 0 && !isHead)
        {
            var wanted = lengthMatch.Success ? headerEnd + 4 + int.Parse(lengthMatch.Groups[1].Value, CultureInfo.InvariantCulture) : int.MaxValue;
            while (buffer.Length < wanted)
            {
                var n = await stream.ReadAsync(chunk, cts.Token);
                if (n == 0)
                {
                    break;
                }

                buffer.Write(chunk, 0, n);
            }

            text = Encoding.Latin1.GetString(buffer.ToArray());
        }

        var body = headerEnd < 0 ? "" : text[(headerEnd + 4)..];
        var lines = head.Split("\r\n");
        var statusLine = lines[0].Split(' ', 3);
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
            }
        }

        return Observe(
            statusLine.Length > 1 && int.TryParse(statusLine[1], out var status) ? status : 0,
            statusLine.Length > 2 ? statusLine[2] : "",
            headers,
            body,
            body.Length,
            port);
    }

    private static int IndexOfHeaderEnd(MemoryStream buffer)
    {
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        return bytes.IndexOf("\r\n\r\n"u8);
    }

    public string NginxAccessLog(string name = "access.log") => ReadOrEmpty(Path.Combine(NginxLogs, name));

    public string SluiceAccessLog(string name = "access.log") => ReadOrEmpty(Path.Combine(SluiceLogs, name));

    /// <summary>
    /// The messages of the error log lines that contain <paramref name="text"/>, without what differs between the two servers by design: time, pid and thread, connection number, port.
    /// </summary>
    public (List<string> Nginx, List<string> Sluice) ErrorMessages(string text)
    {
        List<string> Read(string logs, int port) =>
        [
            .. ReadOrEmpty(Path.Combine(logs, "error.log")).Split('\n')
                .Where(l => l.Contains(text, StringComparison.Ordinal))
                .Select(l => ErrorLinePrefix().Replace(l, "$1 ").Replace(":" + port.ToString(CultureInfo.InvariantCulture), ":PORT", StringComparison.Ordinal)),
        ];

        return (Read(NginxLogs, NginxPort), Read(SluiceLogs, SluicePort));
    }

    /// <summary>"2026/01/01 12:00:00 [error] 123#456: *7 " → "[error] ".</summary>
    [GeneratedRegex(@"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: (\*\d+ )?")]
    private static partial Regex ErrorLinePrefix();

    private static string ReadOrEmpty(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await StopAsync(_nginx, _sluice, Backends, _dir);
    }
}
