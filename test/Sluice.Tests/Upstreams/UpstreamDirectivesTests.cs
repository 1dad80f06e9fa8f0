using System.Net;
using Sluice.Configuration;
using Sluice.Tests.Configuration;
using Sluice.Upstreams.Configuration;

namespace Sluice.Tests.Upstreams;

public sealed class UpstreamDirectivesTests
{
    private const string Pass = "server { listen 18080; location / { proxy_pass http://backend; } }";

    [Theory]
    [InlineData("upstream b { server 127.0.0.1:1 weight=0; }", "invalid parameter \"weight=0\" in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1 weight=; }", "invalid parameter \"weight=\" in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1 max_fails=x; }", "invalid parameter \"max_fails=x\" in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1 max_conns=-1; }", "invalid parameter \"max_conns=-1\" in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1 fail_timeout=5x; }", "invalid parameter \"fail_timeout=5x\" in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1 slow_start=30s; }", "invalid parameter \"slow_start=30s\" in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1 resolve; }", "invalid parameter \"resolve\" in F:3")]
    [InlineData("upstream b { ip_hash; server 127.0.0.1:1 drain backup; }", "balancing method does not support parameter \"backup\" in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1 service=http; }", "invalid parameter \"service=http\" in F:3")]
    [InlineData("upstream b { server nonexistent.invalid:8000; }", "host not found in upstream \"nonexistent.invalid:8000\" in F:3")]
    [InlineData("upstream b { server 127.0.0.1:99999; }", "invalid port in upstream \"127.0.0.1:99999\" in F:3")]
    [InlineData("upstream b { server http://127.0.0.1; }", "invalid host in upstream \"http://127.0.0.1\" in F:3")]
    [InlineData("upstream b { ip_hash; server 127.0.0.1:1 backup; }", "balancing method does not support parameter \"backup\" in F:3")]
    [InlineData("upstream b { hash $uri; server 127.0.0.1:1 backup; }", "balancing method does not support parameter \"backup\" in F:3")]
    [InlineData("upstream b { random; server 127.0.0.1:1 backup; }", "balancing method does not support parameter \"backup\" in F:3")]
    [InlineData("upstream b { hash $uri consistant; server 127.0.0.1:1; }", "invalid parameter \"consistant\" in F:3")]
    [InlineData("upstream b { hash $uri${x; server 127.0.0.1:1; }", "the closing bracket in \"x\" variable is missing in F:3")]
    [InlineData("upstream b { random three; server 127.0.0.1:1; }", "invalid parameter \"three\" in F:3")]
    [InlineData("upstream b { random two least_time; server 127.0.0.1:1; }", "invalid parameter \"least_time\" in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1; keepalive 0; }", "invalid value \"0\" in \"keepalive\" directive in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1; keepalive 8; keepalive 9; }", "\"keepalive\" directive is duplicate in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1; keepalive_timeout 5x; }", "\"keepalive_timeout\" directive invalid value in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1; keepalive_timeout 5s 6s; }", "invalid number of arguments in \"keepalive_timeout\" directive in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1; keepalive_requests x; }", "\"keepalive_requests\" directive invalid number in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1; keepalive_time 1h; keepalive_time 2h; }", "\"keepalive_time\" directive is duplicate in F:3")]
    [InlineData("upstream b { zone \"\" 64k; server 127.0.0.1:1; }", "invalid zone name \"\" in F:3")]
    [InlineData("upstream b { zone b 64q; server 127.0.0.1:1; }", "invalid zone size \"64q\" in F:3")]
    [InlineData("upstream b { zone b 16k; server 127.0.0.1:1; }", "zone \"b\" is too small in F:3")]
    [InlineData("upstream b { server 127.0.0.1:1; }\nupstream B { server 127.0.0.1:2; }", "duplicate upstream \"B\" in F:4")]
    [InlineData("upstream b { ip_hash x; }", "invalid number of arguments in \"ip_hash\" directive in F:3")]
    [InlineData("upstream b {\n}", "no servers are inside upstream in F:4")]
    [InlineData("upstream b { server 127.0.0.1:1 backup; }", "no servers in upstream \"b\" in F:3")]
    [InlineData("server { listen 18080; location / { keepalive 8; } }", "\"keepalive\" directive is not allowed here in F:3")]
    [InlineData("server { listen 18080; location / { server 127.0.0.1; } }", "\"server\" directive is not allowed here in F:3")]
    public void Rejects_what_nginx_rejects(string http, string error)
    {
        Assert.Equal(error, ConfigTestHelper.LoadHttp(http).FirstError());
    }

    [Fact]
    public void A_port_on_a_proxy_pass_to_a_block_is_refused_at_the_proxy_pass()
    {
        var result = ConfigTestHelper.LoadHttp("upstream backend { server 127.0.0.1:1; }\nserver { listen 18080; location / { proxy_pass http://backend:8080; } }");
        Assert.Equal("upstream \"backend\" may not have port 8080 in F:4", result.FirstError());
    }

    [Fact]
    public void A_block_defined_after_a_proxy_pass_with_port_is_refused_naming_the_proxy_pass()
    {
        var result = ConfigTestHelper.LoadHttp("server { listen 18080; location / { proxy_pass http://backend:8080; } }\nupstream backend { server 127.0.0.1:1; }");
        Assert.Equal("upstream \"backend\" may not have port 8080 in F:3", result.FirstError());
    }

    [Fact]
    public void An_implicit_upstream_that_does_not_resolve_is_reported_at_its_proxy_pass_when_http_closes()
    {
        var result = ConfigTestHelper.LoadHttp("server { listen 18080;\nlocation / { proxy_pass http://nonexistent.invalid:8000/x; } }");
        Assert.Equal("host not found in upstream \"nonexistent.invalid\" in F:4", result.FirstError());
    }

    [Fact]
    public void All_backup_servers_are_reported_where_the_name_first_appeared()
    {
        var result = ConfigTestHelper.LoadHttp(Pass + "\nupstream backend { server 127.0.0.1:1 backup; }");
        Assert.Equal("no servers in upstream \"backend\" in F:3", result.FirstError());
    }

    [Fact]
    public void Backup_before_a_hash_method_is_accepted_as_in_nginx_1_22()
    {
        var result = ConfigTestHelper.LoadHttp("upstream backend { server 127.0.0.1:1 backup; hash $uri; server 127.0.0.1:2; }\n" + Pass);
        Assert.Empty(result.RealErrors());
    }

    [Fact]
    public void A_second_balancing_method_warns_and_wins()
    {
        var (result, compiler) = ConfigCompilerProbe.CompileHttp("upstream backend {\nip_hash;\nleast_conn;\nserver 127.0.0.1:1;\n}\n" + Pass);
        var warning = Assert.Single(result.Diagnostics, d => d.Level == DiagnosticLevel.Warn);
        Assert.Equal("load balancing method redefined in " + ConfigTestHelper.MainPath + ":5", warning.Text);
        Assert.Equal(BalancingKind.LeastConn, Group(compiler, "backend").Balancing.Kind);
    }

    [Fact]
    public void A_method_after_keepalive_turns_the_connection_cache_off()
    {
        var (result, compiler) = ConfigCompilerProbe.CompileHttp("upstream backend { server 127.0.0.1:1; keepalive 16; least_conn; }\n" + Pass);
        Assert.Contains(result.Diagnostics, d => d.Message == "load balancing method redefined");
        Assert.Null(Group(compiler, "backend").Keepalive);
    }

    [Fact]
    public void Server_lines_become_typed_records()
    {
        var (_, compiler) = ConfigCompilerProbe.CompileHttp(
            "upstream backend { least_conn; server 127.0.0.1:8001 weight=3 max_fails=2 fail_timeout=30s max_conns=100;"
            + " server 127.0.0.1:8002 backup; server 127.0.0.1:8003 down; keepalive 32; keepalive_timeout 30s; keepalive_requests 50; zone backend 64k; }\n" + Pass);
        var group = Group(compiler, "backend");
        Assert.True(group.IsBlock);
        Assert.Equal(BalancingKind.LeastConn, group.Balancing.Kind);
        Assert.Equal("backend", group.Zone);
        Assert.Equal(new UpstreamKeepalive(32, TimeSpan.FromHours(1), TimeSpan.FromSeconds(30), 50), group.Keepalive);
        Assert.Collection(
            group.Servers,
            s => Assert.Equal(
                new UpstreamServer("127.0.0.1:8001", s.Addresses, 3, 2, TimeSpan.FromSeconds(30), 100, false, false),
                s),
            s => Assert.True(s.Backup),
            s => Assert.True(s.Down));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8001), group.Servers[0].Addresses.Single());
    }

    [Fact]
    public void Drain_is_a_sluice_extension_where_down_is_allowed()
    {
        // nginx rejects "drain" (NGINX Plus has it); Sluice takes it as "no new requests".
        var (_, compiler) = ConfigCompilerProbe.CompileHttp("upstream backend { server 127.0.0.1:8001; server 127.0.0.1:8002 drain; }\n" + Pass);
        Assert.Collection(Group(compiler, "backend").Servers, s => Assert.False(s.Drain), s => Assert.True(s.Drain));
    }

    [Fact]
    public void Hash_consistent_keeps_its_key()
    {
        var (_, compiler) = ConfigCompilerProbe.CompileHttp("upstream backend { hash $remote_addr$uri consistent; server 127.0.0.1:1; }\n" + Pass);
        var method = Group(compiler, "backend").Balancing;
        Assert.Equal(BalancingKind.ConsistentHash, method.Kind);
        Assert.Equal("$remote_addr$uri", method.HashKey!.Source);
    }

    [Theory]
    [InlineData("random;", BalancingKind.Random)]
    [InlineData("random two;", BalancingKind.RandomTwo)]
    [InlineData("random two least_conn;", BalancingKind.RandomTwo)]
    [InlineData("ip_hash;", BalancingKind.IpHash)]
    [InlineData("", BalancingKind.RoundRobin)]
    public void Balancing_methods_are_recorded(string directive, BalancingKind kind)
    {
        var (_, compiler) = ConfigCompilerProbe.CompileHttp($"upstream backend {{ {directive} server 127.0.0.1:1; }}\n" + Pass);
        Assert.Equal(kind, Group(compiler, "backend").Balancing.Kind);
    }

    [Fact]
    public void Proxy_pass_names_blocks_case_insensitively_and_creates_implicit_groups_otherwise()
    {
        var (result, compiler) = ConfigCompilerProbe.CompileHttp(
            "upstream Backend { server 127.0.0.1:1; }\n"
            + "server { listen 18080; location / { proxy_pass http://backend; } location /a { proxy_pass http://localhost:8080/a; }"
            + " location /b { proxy_pass http://127.0.0.1:9000; } location /c { proxy_pass http://localhost:8080; } }");
        Assert.DoesNotContain(result.Diagnostics, d => !d.Message.Contains("not implemented", StringComparison.Ordinal));
        var groups = compiler.State<UpstreamRegistry>().Groups;
        Assert.Equal(["Backend", "localhost", "127.0.0.1"], groups.Select(g => g.Name));
        var implicitHost = groups[1];
        Assert.False(implicitHost.IsBlock);
        Assert.Equal(8080, implicitHost.Port);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), implicitHost.Servers.Single().Addresses.Single());
        Assert.Equal("127.0.0.1:9000", groups[2].Servers.Single().Name);
    }

    private static UpstreamGroup Group(ConfigCompiler compiler, string name) =>
        compiler.State<UpstreamRegistry>().Groups.Single(g => g.Name == name);
}
