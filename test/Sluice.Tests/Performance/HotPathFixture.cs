using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Sluice.Configuration;
using Sluice.Configuration.Syntax;
using Sluice.Http.Routing;
using Sluice.Http.Runtime;
using Sluice.Logging;
using Sluice.Proxy.Runtime;
using Sluice.Upstreams.Balancing;
using Sluice.Upstreams.Http1;
using Sluice.Variables;

namespace Sluice.Tests.Performance;

/// <summary>
/// The per-request pieces of Sluice, built the way Sluice builds them when it loads a configuration (the
/// parser, compiler and <see cref="HttpRuntimeBuilder"/> on <see cref="Config"/>), with one request in
/// flight. Shared by the allocation budgets (<see cref="AllocationBudgetTests"/>) and the BenchmarkDotNet
/// micro benchmarks (bench/Sluice.Benchmarks links this file), so both measure the same operations.
/// No xunit here: the benchmarks project compiles this file too.
/// </summary>
internal sealed class HotPathFixture : IAsyncDisposable
{
    /// <summary>A typical front configuration: a few exact, prefix and regex locations, names of every kind.</summary>
    public const string Config = """
        events {}
        http {
            access_log off;
            log_format main '$remote_addr - [$time_local] "$request" '
                            '$status $body_bytes_sent '
                            'rt=$request_time urt=$upstream_response_time '
                            'upstream=$upstream_addr';
            upstream backend {
                least_conn;
                server 127.0.0.1:9001;
                server 127.0.0.1:9002;
                server 127.0.0.1:9003;
                keepalive 32;
            }
            server {
                listen 127.0.0.1:8080;
                server_name example.com www.example.com *.example.org;
                location = /health { return 200 "ok\n"; }
                location / {
                    proxy_pass http://backend;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                }
                location /api/ {
                    proxy_pass http://backend;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header X-Real-IP $remote_addr;
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                }
                location /stream/ {
                    proxy_pass http://backend;
                    proxy_buffering off;
                }
                location ~* \.(css|js|png)$ { return 200 "static\n"; }
            }
            server {
                listen 127.0.0.1:8080;
                server_name other.test ~^(?<sub>[a-z]+)\.regex\.test$;
                return 404;
            }
        }
        """;

    /// <summary>The main log format's text, rendered as one template.</summary>
    public const string MainLogFormat =
        "$remote_addr - [$time_local] \"$request\" $status $body_bytes_sent rt=$request_time urt=$upstream_response_time upstream=$upstream_addr";

    /// <summary>What the backends of bench/run answer: an nginx head with the usual fields.</summary>
    public static readonly byte[] ResponseBytes = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\n" +
        "Server: nginx/1.22.1\r\n" +
        "Date: Wed, 02 Dec 2026 16:00:00 GMT\r\n" +
        "Content-Type: text/plain\r\n" +
        "Content-Length: 12\r\n" +
        "Connection: keep-alive\r\n" +
        "\r\n");

    private readonly StderrWriter _stderr;
    private readonly LogFiles _logFiles;

    private HotPathFixture(StderrWriter stderr, LogFiles logFiles, HttpRuntime runtime)
    {
        _stderr = stderr;
        _logFiles = logFiles;
        Runtime = runtime;
        ServerNames = runtime.Sockets[0].Own.Servers;
        Server = ServerNames.Find("www.example.com", out _, out _);
        Locations = Server.Locations;
        Request = NewRequest(runtime, Server, Locations.Find("/api/items").Location!);
        SingleVariable = Compile("$remote_addr");
        ForwardedFor = Compile("$proxy_add_x_forwarded_for");
        Composite = Compile("$scheme://$host$request_uri");
        LogLine = Compile(MainLogFormat);
        RoundRobin = new RoundRobinBalancer(Peers(), FixedTime.Instance);
        LeastConn = new LeastConnBalancer(Peers(), FixedTime.Instance);
        ConsistentHash = new ConsistentHashBalancer(Peers(), FixedTime.Instance);
    }

    public HttpRuntime Runtime { get; }

    public ServerNameMatcher<ServerRuntime> ServerNames { get; }

    public ServerRuntime Server { get; }

    public LocationMatcher<LocationRuntime> Locations { get; }

    /// <summary>GET /api/items?page=2 from 127.0.0.1 for www.example.com, answered 200 by 127.0.0.1:9001.</summary>
    public RequestContext Request { get; }

    public CompiledTemplate SingleVariable { get; }

    public CompiledTemplate ForwardedFor { get; }

    public CompiledTemplate Composite { get; }

    public CompiledTemplate LogLine { get; }

    public IUpstreamBalancer RoundRobin { get; }

    public IUpstreamBalancer LeastConn { get; }

    public IUpstreamBalancer ConsistentHash { get; }

    public ResponseHead Head { get; } = new();

    /// <summary>Where <c>proxy_pass http://$variable</c> goes, with no groups: every value that is an address is a peer of its own.</summary>
    public VariablePassTargets VariablePass { get; } = new([], FixedTime.Instance, new Random(1));

    public static readonly BalancerRequest HashedRequest = new("/api/items?page=2", null);

    public static HotPathFixture Create()
    {
        const string prefix = "/sluice-bench/";
        const string main = prefix + "conf/sluice.conf";
        var environment = new ConfigEnvironment
        {
            Prefix = prefix,
            ConfPrefix = prefix + "conf/",
            Resolver = LiteralHostResolver.Instance,
            IsSuperUser = false,
            UserExists = _ => true,
            GroupExists = _ => true,
        };
        var loaded = new ConfigLoader(environment, new InMemoryConfigFileSystem().Add(main, Config)).Load(main);
        if (!loaded.Success)
        {
            throw new InvalidOperationException("the hot path configuration does not load: " + string.Join("; ", loaded.Diagnostics));
        }

        var stderr = new StderrWriter(TextWriter.Null);
        var logFiles = new LogFiles();
        var errorLog = new ErrorLog([], logFiles, FixedTime.Instance, stderr);
        var runtime = HttpRuntimeBuilder.Build(loaded.Compiled!, HttpFeatures.All, FixedTime.Instance, new ServerCounters(), errorLog, logFiles, new Dictionary<Type, object>(), out _)
            ?? throw new InvalidOperationException("no http block");
        return new HotPathFixture(stderr, logFiles, runtime);
    }

    // The operations measured; each returns something so that nothing is optimized away.

    /// <summary>A prefix location, with a regex location tried (and failing) after it, as nginx does.</summary>
    public LocationRuntime? MatchPrefix() => Locations.Find("/api/items").Location;

    public LocationRuntime? MatchExact() => Locations.Find("/health").Location;

    /// <summary>A regex location: the Match object is kept for $1…$9.</summary>
    public LocationRuntime? MatchRegex() => Locations.Find("/assets/app.css").Location;

    public ServerRuntime MatchServerExact() => ServerNames.Find("www.example.com", out _, out _);

    public ServerRuntime MatchServerWildcard() => ServerNames.Find("api.example.org", out _, out _);

    public ServerRuntime MatchServerRegex() => ServerNames.Find("shop.regex.test", out _, out _);

    public string RenderSingleVariable() => SingleVariable.Render(Request);

    public string RenderForwardedFor() => ForwardedFor.Render(Request);

    public string RenderComposite() => Composite.Render(Request);

    public string RenderLogLine() => LogLine.Render(Request);

    /// <summary>The selection a connection's requests reuse (ProxyHandler keeps one in the request's upstream state).</summary>
    [ThreadStatic]
    private static PeerSelection? _selection;

    /// <summary>One request that succeeds on its first peer: Begin (reusing the selection), Pick, Free — ProxyHandler's sequence.</summary>
    public static UpstreamPeer PickAndFree(IUpstreamBalancer balancer, BalancerRequest request)
    {
        var selection = _selection = balancer.Begin(request, _selection);
        var peer = balancer.Pick(selection) ?? throw new InvalidOperationException("no peer");
        balancer.Free(selection, peer, failed: false);
        return peer;
    }

    public int ParseResponseHead() => Head.Parse(ResponseBytes);

    /// <summary><c>proxy_pass http://$upstream_address</c> with a value seen before: found where the address ends, and looked up.</summary>
    public ProxyTarget ResolveVariablePass() => VariablePass.Resolve("http://127.0.0.1:9001");

    private static readonly RequestHeadWriter Writer = new();

    /// <summary>The head nginx sends for the request above with the /api/ location's headers (one writer reused, as an exchange does).</summary>
    public static int WriteRequestHead()
    {
        var head = Writer;
        head.Begin();
        head.RequestLine("GET", "/api/items?page=2", http11: true);
        head.Header("Host", "backend");
        head.Header("X-Real-IP", "127.0.0.1");
        head.Header("X-Forwarded-For", "127.0.0.1");
        head.Header("User-Agent", "wrk");
        head.Header("Accept", "*/*");
        head.End();
        var length = head.Length;
        head.Release();
        return length;
    }

    public async ValueTask DisposeAsync()
    {
        await _logFiles.DisposeAsync().ConfigureAwait(false);
        await _stderr.DisposeAsync().ConfigureAwait(false);
    }

    private CompiledTemplate Compile(string source) => Runtime.Variables.Compile(VariableTemplate.Parse(source, default));

    private static PeerSet Peers()
    {
        var peers = Enumerable.Range(0, 3).Select(i => new UpstreamPeer(new UpstreamPeerOptions(
            $"127.0.0.1:{9001 + i}", new IPEndPoint(IPAddress.Loopback, 9001 + i), $"127.0.0.1:{9001 + i}",
            Weight: 1, MaxFails: 1, FailTimeout: TimeSpan.FromSeconds(10)))).ToList();
        return new PeerSet("backend", peers, isBackup: false);
    }

    private static RequestContext NewRequest(HttpRuntime runtime, ServerRuntime server, LocationRuntime location)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "GET";
        http.Request.Protocol = "HTTP/1.1";
        http.Request.Scheme = "http";
        http.Request.Path = "/api/items";
        http.Request.QueryString = new QueryString("?page=2");
        http.Request.Headers.Host = "www.example.com";
        http.Request.Headers.UserAgent = "wrk";
        http.Connection.RemoteIpAddress = IPAddress.Loopback;
        http.Connection.RemotePort = 50000;
        http.Response.StatusCode = 200;
        var request = new RequestContext();
        request.Start(http, runtime, connection: null, "/api/items?page=2");
        request.Server = server;
        request.Location = location;
        request.Uri = "/api/items";
        request.Args = "page=2";
        request.HostHeader = "www.example.com";
        request.Status = 200;
        request.BodyBytesSent = 12;
        var upstream = new UpstreamState();
        var attempt = upstream.Start("127.0.0.1:9001");
        attempt.Status = 200;
        attempt.ConnectTime = TimeSpan.Zero;
        attempt.HeaderTime = TimeSpan.FromMilliseconds(1);
        attempt.ResponseTime = TimeSpan.FromMilliseconds(1);
        request.SetItem(upstream);
        return request;
    }

    /// <summary>A clock that stands still, in UTC: $time_local renders the same text on every call.</summary>
    private sealed class FixedTime : TimeProvider
    {
        public static readonly FixedTime Instance = new();

        private static readonly DateTimeOffset Now = new(2026, 12, 2, 16, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
