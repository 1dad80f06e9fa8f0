using System.Collections.Frozen;
using Sluice.Http.Configuration;
using Sluice.Http.Runtime;
using Sluice.Proxy.Configuration;
using Sluice.Upstreams.Balancing;
using Sluice.Upstreams.Configuration;
using Sluice.Upstreams.Runtime;
using Sluice.Variables;
using S = Sluice.Proxy.Configuration.ProxySettings;

namespace Sluice.Proxy.Runtime;

/// <summary>
/// Builds the upstream groups of a generation (reusing the previous generation's group, pool and peer state
/// when its configuration is unchanged) and the proxy handler of each location with <c>proxy_pass</c>.
/// </summary>
internal sealed class ProxyFeature : IHttpFeature
{
    /// <summary>nginx's default <c>proxy_set_header</c> list, applied after the configured ones.</summary>
    private static readonly (string Name, string Value)[] DefaultHeaders =
    [
        ("Host", "$proxy_host"),
        ("Connection", "close"),
        ("Content-Length", ""),
        ("Transfer-Encoding", ""),
        ("TE", ""),
        ("Keep-Alive", ""),
        ("Expect", ""),
        ("Upgrade", ""),
    ];

    /// <summary>nginx's default <c>proxy_hide_header</c> list.</summary>
    private static readonly string[] DefaultHidden =
    [
        "Date", "Server", "X-Pad", "X-Accel-Expires", "X-Accel-Redirect", "X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset",
    ];

    /// <summary>Hop-by-hop headers nginx never copies from the upstream response.</summary>
    private static readonly string[] HopByHop = ["Connection", "Keep-Alive", "Transfer-Encoding", "Trailer", "Upgrade", "Proxy-Connection"];

    public void Prepare(HttpBuildContext context)
    {
        var previous = context.Previous.TryGetValue(typeof(UpstreamPool), out var p) ? (UpstreamPool)p : new UpstreamPool();
        var health = context.Previous.TryGetValue(typeof(PeerHealthRegistry), out var h) ? (PeerHealthRegistry)h : new PeerHealthRegistry();
        var groups = context.Compiler.State<UpstreamRegistry>().Groups;
        health.Keep(groups);

        // nginx keeps "keepalive N" idle connections in each worker; Sluice is all the workers in one process.
        var workers = context.Compiler.Main.Get(Core.CoreSettings.WorkerProcesses) switch
        {
            null => 1,
            0 => Environment.ProcessorCount,
            var n => n.Value,
        };
        var pool = new UpstreamPool(workers);
        foreach (var group in groups)
        {
            var runtime = previous.Take(group) ?? new UpstreamRuntime(group, BalancerFactory.Create(group, context.Time, context.Random, health), context.Time, workers);
            pool.Add(group, new UpstreamTarget(runtime, group.Balancing.HashKey is { } key ? context.Compile(key) : null));
        }

        pool.Freeze(context.Time, context.Random);
        previous.RetireRemaining();
        context.Carry[typeof(UpstreamPool)] = pool;
        context.Carry[typeof(PeerHealthRegistry)] = health;
    }

    public void BuildLocation(LocationBuildContext location)
    {
        if (!location.Scope.TryGetHere(S.Pass, out var pass) || pass is null)
        {
            return;
        }

        var pool = (UpstreamPool)location.Http.Carry[typeof(UpstreamPool)];
        var proxy = new ProxyLocation
        {
            Pass = pass,
            Upstream = pass is StaticProxyPass s && s.Upstream.Group is { } g ? pool.Find(g) : null,
            VariableTargets = pass is VariableProxyPass ? pool.VariableTargets : null,
            PassTemplate = pass is VariableProxyPass v ? location.Compile(v.Template) : null,
            SetHeaders = Headers(location, out var setNames),
            SetHeaderNames = setNames,
            HideHeaders = Hidden(location),
            PassRequestHeaders = location.Get(S.PassRequestHeaders),
            PassRequestBody = location.Get(S.PassRequestBody),
            HttpVersion = location.Get(S.HttpVersion) == "1.1" ? System.Net.HttpVersion.Version11 : System.Net.HttpVersion.Version10,
            ConnectTimeout = location.Get(S.ConnectTimeout),
            ReadTimeout = location.Get(S.ReadTimeout),
            SendTimeout = location.Get(S.SendTimeout),
            NextUpstream = (NextUpstreamConditions)location.Get(S.NextUpstream),
            NextUpstreamTries = location.Get(S.NextUpstreamTries),
            NextUpstreamTimeout = location.Get(S.NextUpstreamTimeout),
            Buffering = location.Get(S.Buffering),
            Buffers = ResponseBuffers(location),
            IgnoreAccelBuffering = (location.Get(S.IgnoreHeaders) & ProxyMasks.IgnoreHeaders["X-Accel-Buffering"]) != 0,
            RequestBuffering = location.Get(S.RequestBuffering),
            InterceptErrors = location.Get(S.InterceptErrors),
            IgnoreClientAbort = location.Get(S.IgnoreClientAbort),
            Redirects = Redirects(location),
            BufferSize = Math.Max(4096, location.Get(S.BufferSize)),
            Method = location.Get(S.Method) is { } method ? location.Compile(method) : null,
        };

        // nginx's auto_redirect: "/x" answers 301 to "/x/" for a proxied prefix location ending in '/'.
        if (location.Builder is { Kind: not LocationKind.Regex and not LocationKind.Named } builder && builder.Name.EndsWith('/'))
        {
            location.Location.AutoRedirect = true;
        }

        location.Handlers.Add(new ProxyHandler(proxy));
        location.Features[typeof(ProxyLocation)] = proxy;
    }

    /// <summary>The sizes nginx's merge derives when they are not set: busy buffers and temp file writes twice the larger buffer size.</summary>
    private static ResponseBuffering ResponseBuffers(LocationBuildContext location)
    {
        var buffers = location.Get(S.Buffers) ?? new Sluice.Configuration.Directives.BufferSpec(8, 4096);
        var size = Math.Max(location.Get(S.BufferSize), buffers.Size);
        static int Bytes(long size) => (int)Math.Min(size, 1 << 30);
        return new ResponseBuffering(
            buffers.Count,
            Bytes(buffers.Size),
            Bytes(location.Get(S.BusyBuffersSize) ?? 2 * size),
            location.Get(S.MaxTempFileSize) ?? S.DefaultMaxTempFileSize,
            Bytes(location.Get(S.TempFileWriteSize) ?? 2 * size),
            Core.TempFileDirectory.From(location.Get(S.TempPath), "proxy_temp", location.Http.Compiler.Environment));
    }

    private static ProxySetHeader[] Headers(LocationBuildContext location, out FrozenSet<string> names)
    {
        var configured = location.GetList(S.SetHeaders);
        var list = new List<ProxySetHeader>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Add(string name, string value)
        {
            // The body's framing is the proxy's to write (nginx's $proxy_internal_body_length and _chunked).
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }

            var template = location.Compile(VariableTemplate.Parse(value, default));
            var proxyHost = name.Equals("Host", StringComparison.OrdinalIgnoreCase) && value == "$proxy_host";
            list.Add(new ProxySetHeader(name, template, proxyHost));
        }

        foreach (var (name, value) in configured)
        {
            seen.Add(name);
            Add(name, value);
        }

        foreach (var (name, value) in DefaultHeaders)
        {
            if (seen.Add(name))
            {
                Add(name, value);
            }
        }

        names = seen.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        return [.. list];
    }

    private static FrozenSet<string> Hidden(LocationBuildContext location)
    {
        var hidden = new HashSet<string>(DefaultHidden, StringComparer.OrdinalIgnoreCase);
        foreach (var name in location.GetList(S.HideHeaders))
        {
            hidden.Add(name);
        }

        foreach (var name in location.GetList(S.PassHeaders))
        {
            hidden.Remove(name);
        }

        foreach (var name in HopByHop)
        {
            hidden.Add(name);
        }

        return hidden.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }

    private static RedirectRule[]? Redirects(LocationBuildContext location)
    {
        var rules = location.Get(S.Redirect);
        if (rules is null)
        {
            // nginx's default: "proxy_redirect default" for a static proxy_pass.
            return DefaultRedirect(location) is { } rule ? [rule] : [];
        }

        if (!rules.Enabled)
        {
            return null;
        }

        return [.. rules.Rules.Select<ProxyRewrite, RedirectRule?>(rule => rule switch
        {
            DefaultRedirect d => new RedirectRule.Text(Literal(d.Pattern), Literal(d.Replacement)),
            TextRewrite t => new RedirectRule.Text(location.Compile(t.Pattern), location.Compile(t.Replacement)),
            RegexRewrite r => new RedirectRule.Regex(
                Sluice.Configuration.Values.NginxRegex.Recompile(r.Pattern, System.Text.RegularExpressions.RegexOptions.Compiled),
                location.Compile(r.Replacement)),
            _ => null,
        }).OfType<RedirectRule>()];
    }

    /// <summary>The implicit "proxy_redirect default": the proxy_pass URL becomes the location's name.</summary>
    private static RedirectRule.Text? DefaultRedirect(LocationBuildContext location)
    {
        if (!location.Scope.TryGetHere(S.Pass, out var pass) || pass is not StaticProxyPass s || location.Builder is not { } builder)
        {
            return null;
        }

        if (s.Uri.Length > 0)
        {
            return new RedirectRule.Text(Literal(s.Url), Literal(builder.Name));
        }

        // Without a URI part nginx maps the upstream's root: "http://backend/" → "/".
        var root = s.Url.EndsWith('/') ? s.Url : s.Url + "/";
        return new RedirectRule.Text(Literal(root), Literal("/"));
    }

    private static CompiledTemplate Literal(string text) => new VariableResolver().Compile(VariableTemplate.Literal(text));
}

/// <summary>The upstream groups of a generation, reused by the next one for unchanged groups.</summary>
internal sealed class UpstreamPool(int workers = 1)
{
    private readonly Dictionary<string, UpstreamRuntime> _bySignature = new(StringComparer.Ordinal);
    private readonly Dictionary<UpstreamGroup, UpstreamTarget> _byGroup = [];
    private readonly List<(UpstreamGroup, UpstreamTarget)> _inOrder = [];

    /// <summary>Where <c>proxy_pass http://$variable</c> goes in this generation; set by <see cref="Freeze"/>.</summary>
    public VariablePassTargets? VariableTargets { get; private set; }

    public void Add(UpstreamGroup group, UpstreamTarget target)
    {
        _bySignature[Signature(group)] = target.Runtime;
        _byGroup[group] = target;
        _inOrder.Add((group, target));
    }

    public void Freeze(TimeProvider time, Random random) => VariableTargets = new VariablePassTargets(_inOrder, time, random);

    public UpstreamTarget? Find(UpstreamGroup group) => _byGroup.GetValueOrDefault(group);

    /// <summary>Every group of this generation.</summary>
    public IEnumerable<UpstreamTarget> Targets => _byGroup.Values;

    /// <summary>Hands over the previous generation's group with the same configuration (and so its pool).</summary>
    public UpstreamRuntime? Take(UpstreamGroup group) => _bySignature.Remove(Signature(group), out var runtime) ? runtime : null;

    /// <summary>Groups the new configuration dropped: their pools are closed once their requests are done.</summary>
    public void RetireRemaining()
    {
        foreach (var runtime in _bySignature.Values)
        {
            _ = Task.Delay(TimeSpan.FromMinutes(2)).ContinueWith(_ => runtime.Dispose(), TaskScheduler.Default);
        }

        _bySignature.Clear();
    }

    private string Signature(UpstreamGroup group) =>
        $"{workers}|{group.Name}|{group.Port}|{group.Balancing.Kind}|{group.Balancing.HashKey?.Source}|{group.Keepalive}|" + string.Join(";", group.Servers.Select(s =>
            $"{s.Name}={string.Join(",", s.Addresses)}/{s.Weight}/{s.MaxFails}/{s.FailTimeout}/{s.MaxConns}/{s.Backup}/{s.Down}/{s.Drain}"));
}

/// <summary>An upstream group as one generation uses it: the (possibly carried) runtime and its hash key compiled for this generation.</summary>
public sealed record UpstreamTarget(UpstreamRuntime Runtime, CompiledTemplate? HashKey);
