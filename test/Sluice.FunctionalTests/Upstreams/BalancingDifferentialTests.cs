using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Upstreams;

/// <summary>
/// Which backend nginx and Sluice choose, request by request, for the same configuration and the same
/// backends: weighted round robin, ip_hash over 200 client addresses, hash and consistent hash over 1,000
/// keys (and after a server is removed), past a down or failed peer, least_conn while requests are held
/// open, backup, down, max_conns.
/// </summary>
public sealed class BalancingDifferentialTests : IClassFixture<BalancingDifferentialTests.Fixture>
{
    private readonly DifferentialRig _rig;
    private readonly ITestOutputHelper _output;

    public BalancingDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _rig = fixture.Rig;
        _output = output;
    }

    public sealed class Fixture : DifferentialFixture
    {
        protected override int Backends => 3;

        protected override string Config => """
            events {}
            http {
                access_log off;
                upstream rr111 { server {{B1}}; server {{B2}}; server {{B3}}; }
                upstream rr321 { server {{B1}} weight=3; server {{B2}} weight=2; server {{B3}}; }
                upstream rr511 { server {{B1}} weight=5; server {{B2}}; server {{B3}}; }
                upstream iphash { ip_hash; server {{B1}}; server {{B2}}; server {{B3}}; }
                upstream iphash_weighted { ip_hash; server {{B1}} weight=2; server {{B2}} down; server {{B3}}; }
                upstream hash { hash $request_uri; server {{B1}}; server {{B2}} weight=2; server {{B3}}; }
                upstream chash { hash $arg_key consistent; server {{B1}}; server {{B2}}; server {{B3}}; }
                upstream chash_two { hash $arg_key consistent; server {{B1}}; server {{B3}}; }
                upstream least { least_conn; server {{B1}}; server {{B2}}; server {{B3}}; }
                upstream least_weighted { least_conn; server {{B1}} weight=2; server {{B2}}; server {{B3}}; }
                upstream down { server {{B1}}; server {{B2}} down; server {{B3}} weight=2; }
                upstream backup_idle { server {{B1}}; server {{B2}} backup; }
                upstream backup_used { server 127.0.0.1:1 max_fails=1 fail_timeout=60s; server {{B3}} backup; server {{B2}} backup; }
                upstream maxconns { server {{B1}} max_conns=1; server {{B2}} max_conns=2; server {{B3}} backup; }
                upstream hash_down { hash $request_uri; server {{B1}}; server {{B2}} down; server {{B3}}; }
                upstream hash_failed { hash $request_uri; server {{B1}}; server 127.0.0.1:1 fail_timeout=60s; server {{B3}}; }
                upstream chash_down { hash $request_uri consistent; server {{B1}}; server {{B2}} down; server {{B3}}; }
                upstream chash_failed { hash $request_uri consistent; server {{B1}}; server 127.0.0.1:1 fail_timeout=60s; server {{B3}}; }
                upstream chash_uri { hash $request_uri consistent; server {{B1}}; server {{B2}}; server {{B3}}; }
                upstream chash_uri_two { hash $request_uri consistent; server {{B1}}; server {{B3}}; }
                server {
                    listen {{LISTEN}};
                    # The same URIs (the hash keys) to any group: the group comes in a header.
                    location ^~ /keys/ {
                        proxy_pass http://$http_x_upstream;
                    }
                    location ~ ^/(?<group>[a-z0-9_]+)/ {
                        proxy_pass http://$group;
                    }
                }
            }
            """;
    }

    [Theory]
    [InlineData("rr111")]
    [InlineData("rr321")]
    [InlineData("rr511")]
    [InlineData("down")]
    [InlineData("backup_idle")]
    public async Task Round_robin_sequence_of_1000_requests_is_nginx_s(string group)
    {
        var nginx = await SequenceAsync(_rig.NginxPort, Enumerable.Range(0, 1000).Select(i => $"/{group}/{i}"));
        var sluice = await SequenceAsync(_rig.SluicePort, Enumerable.Range(0, 1000).Select(i => $"/{group}/{i}"));
        _output.WriteLine(string.Concat(nginx.Take(40).Select(b => b[^1])));
        Assert.Equal(nginx, sluice);
        Assert.Equal(group == "backup_idle" ? 1 : group == "down" ? 2 : 3, nginx.Distinct().Count());
    }

    [Fact]
    public async Task Backup_takes_over_when_the_primary_fails_like_nginx()
    {
        var nginx = await SequenceAsync(_rig.NginxPort, Enumerable.Range(0, 20).Select(i => $"/backup_used/{i}"));
        var sluice = await SequenceAsync(_rig.SluicePort, Enumerable.Range(0, 20).Select(i => $"/backup_used/{i}"));
        Assert.Equal(nginx, sluice);
        Assert.DoesNotContain("b1", sluice);
        Assert.Contains("b2", sluice);
        Assert.Contains("b3", sluice);
    }

    [Theory]
    [InlineData("iphash")]
    [InlineData("iphash_weighted")]
    public async Task Ip_hash_maps_200_client_addresses_like_nginx(string group)
    {
        var clients = Enumerable.Range(0, 200).Select(i => IPAddress.Parse($"127.{1 + (i / 20)}.{(i * 37) % 256}.{1 + (i % 7)}")).ToList();
        var nginx = new List<string>();
        var sluice = new List<string>();
        foreach (var client in clients)
        {
            nginx.Add(await BackendFromAsync(_rig.NginxPort, $"/{group}/x", client));
            sluice.Add(await BackendFromAsync(_rig.SluicePort, $"/{group}/x", client));
        }

        Assert.Equal(nginx, sluice);
        Assert.True(nginx.Distinct().Count() > 1, "the clients spread over the servers");
    }

    [Theory]
    [InlineData("hash")]
    [InlineData("chash")]
    [InlineData("chash_two")]
    public async Task Hash_maps_1000_keys_like_nginx(string group)
    {
        var paths = Enumerable.Range(0, 1000).Select(i => $"/{group}/item/{i * 7919 % 10007}?v={i % 13}&key=user-{i * 31 % 997}").ToList();
        var nginx = await SequenceAsync(_rig.NginxPort, paths);
        var sluice = await SequenceAsync(_rig.SluicePort, paths);
        Assert.Equal(nginx, sluice);
    }

    [Fact]
    public async Task Consistent_hash_moves_only_the_removed_servers_keys()
    {
        var keys = Enumerable.Range(0, 1000).Select(i => $"item-{i}").ToList();
        var three = await SequenceAsync(_rig.SluicePort, keys.Select(k => $"/chash/x?key={k}"));
        var two = await SequenceAsync(_rig.SluicePort, keys.Select(k => $"/chash_two/x?key={k}"));
        for (var i = 0; i < keys.Count; i++)
        {
            if (three[i] != "b2")
            {
                Assert.Equal(three[i], two[i]);
            }
        }
    }

    [Theory]
    [InlineData("hash_down")]
    [InlineData("hash_failed")]
    [InlineData("chash_down")]
    [InlineData("chash_failed")]
    public async Task Hash_past_a_down_or_failed_peer_rehashes_and_walks_the_ring_like_nginx(string group)
    {
        // A down peer, or one that refuses (max_fails=1: failed at its first key, then out for 60 s): its keys
        // go where nginx's rehash (hash) or the walk to the next point of the ring (consistent) sends them.
        var paths = Enumerable.Range(0, 300).Select(i => $"/keys/{i * 7919 % 10007}?v={i % 13}").ToList();
        var nginx = await SequenceAsync(_rig.NginxPort, paths, group);
        var sluice = await SequenceAsync(_rig.SluicePort, paths, group);
        Assert.Equal(nginx, sluice);
        Assert.Equal(["b1", "b3"], sluice.Distinct().Order());
    }

    [Fact]
    public async Task Consistent_hash_of_the_request_uri_maps_1000_keys_and_moves_only_a_removed_servers_keys_like_nginx()
    {
        var paths = Enumerable.Range(0, 1000).Select(i => $"/keys/item/{i}?page={i % 7}").ToList();
        var three = await SequenceAsync(_rig.SluicePort, paths, "chash_uri");
        Assert.Equal(await SequenceAsync(_rig.NginxPort, paths, "chash_uri"), three);
        var two = await SequenceAsync(_rig.SluicePort, paths, "chash_uri_two");
        Assert.Equal(await SequenceAsync(_rig.NginxPort, paths, "chash_uri_two"), two);

        Assert.All(three.Select(b => three.Count(x => x == b)), n => Assert.InRange(n, 150, 550));
        for (var i = 0; i < paths.Count; i++)
        {
            if (three[i] != "b2")
            {
                Assert.Equal(three[i], two[i]);
            }
        }
    }

    [Theory]
    [InlineData("least")]
    [InlineData("least_weighted")]
    public async Task Least_conn_with_requests_held_open_chooses_like_nginx(string group)
    {
        // A script of held requests, quick requests and releases, run against each server in turn.
        var nginx = await LeastConnScriptAsync(_rig.NginxPort, group);
        var sluice = await LeastConnScriptAsync(_rig.SluicePort, group);
        _output.WriteLine($"nginx:  {string.Join(' ', nginx)}\nsluice: {string.Join(' ', sluice)}");
        Assert.Equal(nginx, sluice);
    }

    [Fact]
    public async Task Max_conns_limits_each_peer_and_spills_to_the_backup_like_nginx()
    {
        var nginx = await MaxConnsScriptAsync(_rig.NginxPort);
        var sluice = await MaxConnsScriptAsync(_rig.SluicePort);
        _output.WriteLine($"nginx:  {string.Join(' ', nginx)}\nsluice: {string.Join(' ', sluice)}");
        Assert.Equal(nginx, sluice);
        Assert.Equal(["b1", "b2", "b2", "b3", "b3"], sluice.Take(5));
    }

    private async Task<List<string>> LeastConnScriptAsync(int port, string group)
    {
        var choices = new List<string>();
        var held = new List<Task<string>>();
        async Task Hold()
        {
            var before = _rig.Backends.Select(b => b.Held).ToArray();
            held.Add(BackendAsync(port, $"/{group}/hold/{held.Count}"));
            await Eventually.TrueAsync(() => _rig.Backends.Sum(b => b.Held) == before.Sum() + 1, "the held request reached a backend");
            var index = Enumerable.Range(0, 3).First(i => _rig.Backends[i].Held > before[i]);
            choices.Add("H" + _rig.Backends[index].Name);
        }

        async Task Quick(int count)
        {
            for (var i = 0; i < count; i++)
            {
                choices.Add(await BackendAsync(port, $"/{group}/quick/{i}"));
            }
        }

        await Quick(4);
        await Hold();
        await Quick(5);
        await Hold();
        await Hold();
        await Quick(6);
        await Hold();
        await Hold();
        await Quick(4);
        foreach (var backend in _rig.Backends)
        {
            backend.ReleaseHeld();
        }

        await Task.WhenAll(held);
        await Quick(6);
        return choices;
    }

    private async Task<List<string>> MaxConnsScriptAsync(int port)
    {
        var choices = new List<string>();
        var held = new List<Task<string>>();
        for (var i = 0; i < 5; i++)
        {
            var before = _rig.Backends.Select(b => b.Held).ToArray();
            held.Add(BackendAsync(port, $"/maxconns/hold/{i}"));
            await Eventually.TrueAsync(() => _rig.Backends.Sum(b => b.Held) == before.Sum() + 1, "the held request reached a backend");
            choices.Add(_rig.Backends[Enumerable.Range(0, 3).First(j => _rig.Backends[j].Held > before[j])].Name);
        }

        foreach (var backend in _rig.Backends)
        {
            backend.ReleaseHeld();
        }

        await Task.WhenAll(held);
        choices.AddRange(await SequenceAsync(port, Enumerable.Range(0, 4).Select(i => $"/maxconns/after/{i}")));
        return choices;
    }

    /// <param name="upstream">The group for <c>/keys/</c> (the X-Upstream header).</param>
    private static async Task<List<string>> SequenceAsync(int port, IEnumerable<string> paths, string? upstream = null)
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { Timeout = TimeSpan.FromSeconds(30) };
        if (upstream is not null)
        {
            client.DefaultRequestHeaders.Add("X-Upstream", upstream);
        }

        var result = new List<string>();
        foreach (var path in paths)
        {
            using var response = await client.GetAsync($"http://127.0.0.1:{port}{path}");
            result.Add(response.Headers.TryGetValues("X-Backend", out var names) ? names.Single() : $"status {(int)response.StatusCode}");
        }

        return result;
    }

    private static async Task<string> BackendAsync(int port, string path)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var response = await client.GetAsync($"http://127.0.0.1:{port}{path}");
        return response.Headers.TryGetValues("X-Backend", out var names) ? names.Single() : $"status {(int)response.StatusCode}";
    }

    /// <summary>A GET from a chosen local address (any of 127.0.0.0/8 is this machine), for ip_hash.</summary>
    private static async Task<string> BackendFromAsync(int port, string path, IPAddress local)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(local, 0));
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: balancing.test\r\nConnection: close\r\n\r\n"));
        var response = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            response.Write(buffer, 0, read);
        }

        var text = Encoding.ASCII.GetString(response.ToArray());
        var line = text.Split("\r\n").FirstOrDefault(l => l.StartsWith("X-Backend:", StringComparison.OrdinalIgnoreCase));
        return line?[10..].Trim() ?? "status " + text.Split(' ', 3)[1].ToString(CultureInfo.InvariantCulture);
    }
}
