using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Http;

/// <summary>
/// Every variable of the access log that can be deterministic, for the same requests sent byte for byte to nginx
/// and to Sluice, with the same log formats: the lines must agree once the things that differ by design are masked
/// (ports, pid, times; the product token's length in <c>$bytes_sent</c>). Also escape=json and escape=none (a
/// variable that is not found writes nothing there, "-" with the default escaping), <c>if=</c>, the predefined
/// <c>combined</c> format, by name and by default.
/// </summary>
public sealed partial class AccessLogVariablesDifferentialTests : IClassFixture<AccessLogVariablesDifferentialTests.Fixture>
{
    public sealed class Fixture : DifferentialFixture
    {
        protected override int Backends => 1;

        protected override string Config => """
            events {}
            http {
                log_format vars 'hostname=$hostname rport=$remote_port saddr=$server_addr sport=$server_port '
                                'proto=$server_protocol duri=$document_uri qs=$query_string args=$args isargs=$is_args '
                                'argx=$arg_x cookiex=$cookie_x httpx=$http_x ct=$sent_http_content_type '
                                'bs=$bytes_sent bbs=$body_bytes_sent rl=$request_length status=$status '
                                'conn=$connection creq=$connection_requests pid=$pid ph=$proxy_host pp=$proxy_port '
                                'urlen=$upstream_response_length ust=$upstream_status user=$remote_user '
                                'setv=$s capv=$num pipe=$pipe rc=$request_completion realip=$realip_remote_addr '
                                'sconn=$sent_http_connection ska=$sent_http_keep_alive msec=$msec iso=$time_iso8601';
                log_format json escape=json '{"uri":"$uri","args":"$args","x":"$http_x","user":"$remote_user","ph":"$proxy_host","ust":"$upstream_status"}';
                log_format none escape=none 'uri=$uri args=$args x=$http_x user=$remote_user ph=$proxy_host';
                access_log {{LOGS}}/vars.log vars;
                access_log {{LOGS}}/json.log json;
                access_log {{LOGS}}/none.log none;
                access_log {{LOGS}}/cond.log vars if=$arg_log;
                access_log {{LOGS}}/combined.log combined;
                access_log {{LOGS}}/default.log;
                upstream grp { server {{B1}}; }
                server {
                    listen {{LISTEN}};
                    root {{ROOT}};
                    location /bytes/ { proxy_pass http://grp; }
                    location /vbytes/ {
                        set $group grp;
                        rewrite ^/vbytes/(.*)$ /bytes/$1 break;
                        proxy_pass http://$group;
                    }
                    location /r { return 200 "r\n"; }
                    location /set { set $s one; return 200 "set\n"; }
                    location ~ ^/c(?<num>\d)?/ { return 200 "c\n"; }
                }
            }
            """;

        protected override IDictionary<string, string> Files => new Dictionary<string, string> { ["page.html"] = "<p>page</p>\n" };
    }

    private static readonly string BasicUser = "Authorization: Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("user:secret"));

    /// <summary>A user name of bytes that are not all UTF-8 ("mé", a lone 0xFF, "e"): logged as the bytes they are.</summary>
    private static readonly string RawBytesUser = "Authorization: Basic " + Convert.ToBase64String([(byte)'m', 0xC3, 0xA9, 0xFF, (byte)'e', (byte)':', (byte)'p']);

    /// <summary>A header value in UTF-8 outside the BMP (a surrogate pair in .NET), as it goes over the wire.</summary>
    private static readonly string EmojiHeader = "X: " + Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("\U0001F600 é"));

    /// <summary>Requests, one connection per row (a row of several shows $connection_requests counting).</summary>
    private static readonly string[][] Sessions =
    [
        [Get("/page.html")],
        [Get("/page.html?")],
        [Get("/r?x=1&y&log=1", "Cookie: x=c1; y=2", "X: hdr", BasicUser, "Referer: http://ref.test/", "User-Agent: agent/1.0")],
        [Get("/r?xx=2&X=3&log=0")],
        [Get("/r?x")],
        [Get("/bytes/10?q=1&log=yes")],
        [Get("/vbytes/12")],
        [Get("/missing?log=1")],
        [Get("/r?first"), Get("/bytes/3"), "POST /r HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello"],
        [Get("/r", "X: a\"b\\c", "Cookie: x=\"quoted\"")],
        ["HEAD /page.html HTTP/1.0\r\nUser-Agent: old\r\n\r\n"],
        [Get("/set"), Get("/c/"), Get("/c5/")],
        [Get("/r?user=raw", RawBytesUser), Get("/r?user=empty", "Authorization: Basic Onc="), Get("/r?user=unpadded", "Authorization: Basic dXNlcjpwdw"), Get("/r?x=emoji", EmojiHeader)],
    ];

    private readonly DifferentialRig _rig;
    private readonly ITestOutputHelper _output;

    public AccessLogVariablesDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _rig = fixture.Rig;
        _output = output;
    }

    private static string Get(string target, params string[] headers) =>
        $"GET {target} HTTP/1.1\r\nHost: test\r\n{string.Concat(headers.Select(h => h + "\r\n"))}\r\n";

    [Fact]
    public async Task Lines_agree_with_nginx_in_every_format()
    {
        var nginxServer = await RunAsync(_rig.NginxPort);
        var sluiceServer = await RunAsync(_rig.SluicePort);
        var requests = Sessions.Sum(s => s.Length);

        // "Server: nginx/1.22.1" and "Server: sluice/x.y.z" may differ in length; $bytes_sent counts the header
        // (and the token in the tail of an error page's body).
        var tokenDelta = sluiceServer.Length - nginxServer.Length;

        var nginxVars = await LogLines.WaitForAsync(Path.Combine(_rig.NginxLogs, "vars.log"), requests);
        var sluiceVars = await LogLines.WaitForAsync(Path.Combine(_rig.SluiceLogs, "vars.log"), requests);
        Show("vars", nginxVars, sluiceVars);
        Assert.Equal(requests, nginxVars.Count);
        Assert.Equal(Masked(nginxVars, 0), Masked(sluiceVars, tokenDelta));

        // The lines nginx makes are what this test means them to be (it checks the oracle as well as the copy).
        Assert.Contains(nginxVars, l => l.Contains(" qs=- args=- isargs= argx=- cookiex=- httpx=- ", StringComparison.Ordinal));
        Assert.Contains(nginxVars, l => l.Contains(" argx=1 cookiex=c1 httpx=hdr ", StringComparison.Ordinal) && l.Contains(" user=user ", StringComparison.Ordinal));
        Assert.Contains(nginxVars, l => l.Contains(" ph=grp pp=80 urlen=12 ust=200 ", StringComparison.Ordinal));
        Assert.Contains(nginxVars, l => l.Contains(" creq=3 ", StringComparison.Ordinal));
        Assert.Contains(nginxVars, l => l.Contains("httpx=a\\x22b\\x5Cc", StringComparison.Ordinal));

        // A set variable before any set is empty, not "-"; a named capture is "-" until its regex matches, then
        // empty when the group took no part in the match.
        Assert.Contains(nginxVars, l => l.Contains("duri=/r ", StringComparison.Ordinal) && l.Contains(" setv= capv=- ", StringComparison.Ordinal));
        Assert.Contains(nginxVars, l => l.Contains(" setv=one capv=- ", StringComparison.Ordinal));
        Assert.Contains(nginxVars, l => l.Contains("duri=/c/ ", StringComparison.Ordinal) && l.Contains(" capv= ", StringComparison.Ordinal));
        Assert.Contains(nginxVars, l => l.Contains(" capv=5 ", StringComparison.Ordinal));
        Assert.Contains(nginxVars, l => l.Contains(" user=m\\xC3\\xA9\\xFFe ", StringComparison.Ordinal));
        Assert.Contains(nginxVars, l => l.Contains("args=user=empty ", StringComparison.Ordinal) && l.Contains(" user=- ", StringComparison.Ordinal));
        Assert.Contains(nginxVars, l => l.Contains(" user=user ", StringComparison.Ordinal) && l.Contains("args=user=unpadded ", StringComparison.Ordinal));
        Assert.Contains(nginxVars, l => l.Contains(" httpx=\\xF0\\x9F\\x98\\x80 \\xC3\\xA9 ", StringComparison.Ordinal));

        // ... with a warning (Sluice's error log has no "*N" connection numbers, nor nginx's "while logging request").
        foreach (var logs in new[] { _rig.NginxLogs, _rig.SluiceLogs })
        {
            Assert.Matches(
                @"\[warn\] \d+#\d+: (\*\d+ )?using uninitialized ""s"" variable( while logging request)?, client: 127\.0\.0\.1, server: , request: ""GET /r\?x HTTP/1\.1"", host: ""test""",
                File.ReadAllText(Path.Combine(logs, "error.log")));
        }

        foreach (var log in new[] { "json.log", "none.log", "cond.log", "combined.log", "default.log" })
        {
            var expected = log == "cond.log" ? 3 : requests;
            var nginx = await LogLines.WaitForAsync(Path.Combine(_rig.NginxLogs, log), expected);
            var sluice = await LogLines.WaitForAsync(Path.Combine(_rig.SluiceLogs, log), expected);
            Show(log, nginx, sluice);
            Assert.Equal(expected, nginx.Count);
            Assert.Equal(Masked(nginx, 0), Masked(sluice, tokenDelta));
        }
    }

    /// <summary>Sends every session to one server; returns its Server header.</summary>
    private static async Task<string> RunAsync(int port)
    {
        string? server = null;
        foreach (var session in Sessions)
        {
            using var connection = await RawConnection.OpenAsync(port);
            foreach (var request in session)
            {
                var response = await connection.ExchangeAsync(request);
                server ??= response.Header("Server");
            }
        }

        return server ?? throw new InvalidOperationException("no Server header");
    }

    /// <summary>
    /// The masked lines in text order: Sluice writes a request's line once its response is complete, from the thread
    /// that completed it, so two requests on two connections may log in either order (nginx's one worker logs in
    /// the order it finishes them). What is compared is which lines there are.
    /// </summary>
    private static List<string> Masked(List<string> lines, int tokenDelta) =>
        [.. lines.Select(l => MaskVars(l, tokenDelta)).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Masks what differs by design: the client's port, the server's port, the pid, the clocks (their shape is
    /// checked); and takes the product token's length out of Sluice's $bytes_sent and $body_bytes_sent.
    /// </summary>
    private static string MaskVars(string line, int tokenDelta)
    {
        Assert.DoesNotMatch(@"msec=(?!\d{10}\.\d{3} )", line);
        Assert.DoesNotMatch(@"iso=(?!\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$)", line);
        line = Masks().Replace(line, m => m.Groups["name"].Value + "=" + m.Groups["name"].Value.ToUpperInvariant());
        line = LogLines.MaskTimeLocal(line);
        if (tokenDelta == 0 || BytesSent().Match(line) is not { Success: true } bytes)
        {
            return line;
        }

        // An error page carries the token in its body as well (unless it was a HEAD).
        var page = line.Contains(" status=404 ", StringComparison.Ordinal);
        var bs = long.Parse(bytes.Groups["bs"].Value, CultureInfo.InvariantCulture) - (tokenDelta * (page ? 2 : 1));
        var bbs = long.Parse(bytes.Groups["bbs"].Value, CultureInfo.InvariantCulture) - (page ? tokenDelta : 0);
        return line.Replace(bytes.Value, $"bs={bs} bbs={bbs}", StringComparison.Ordinal);
    }

    private void Show(string log, List<string> nginx, List<string> sluice) =>
        _output.WriteLine($"{log}\nnginx:\n  {string.Join("\n  ", nginx)}\nsluice:\n  {string.Join("\n  ", sluice)}");

    [GeneratedRegex(@"\b(?<name>rport|sport|pid|msec|iso)=\S+")]
    private static partial Regex Masks();

    [GeneratedRegex(@"bs=(?<bs>\d+) bbs=(?<bbs>\d+)")]
    private static partial Regex BytesSent();
}
