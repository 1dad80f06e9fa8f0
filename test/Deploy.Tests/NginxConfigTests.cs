using System.Text.RegularExpressions;
using Deploy.Tests.Infrastructure;

namespace Deploy.Tests;

/// <summary>
/// deploy/sluice.conf and sluice-dev.conf are valid nginx configuration apart from Sluice's sluice_metrics:
/// the real nginx (-t) accepts copies whose hostnames, ports and paths point at this machine, whose
/// certificates are generated here, and whose "sluice_metrics;" lines are removed. sluice-dev.conf is
/// checked with the guide's lines it keeps commented out for Sluice (<see cref="PendingDirectives"/>) restored.
/// </summary>
public sealed class NginxConfigTests
{
    [Theory]
    [InlineData("sluice.conf", 2)]
    [InlineData("sluice-dev.conf", 1)]
    public async Task Configuration_is_valid_nginx_without_sluice_metrics(string name, int metricsLocations)
    {
        using var dir = new TempDirectory("deploy-nginx");
        var copy = (await LoopbackConfig.CreateAsync(name, dir, restorePending: true)).Text;
        Assert.Equal(metricsLocations, Regex.Count(copy, @"location = /metrics \{\s*sluice_metrics;"));
        var withoutMetrics = Regex.Replace(copy, @"^\s*sluice_metrics;\s*\n", "", RegexOptions.Multiline);
        Assert.DoesNotContain("sluice_metrics", withoutMetrics, StringComparison.Ordinal);

        var result = await NginxTest(dir, dir.Write("nginx.conf", withoutMetrics));
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("test is successful", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("[warn]", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sluice.conf")]
    [InlineData("sluice-dev.conf")]
    public async Task Sluice_metrics_is_the_directive_nginx_does_not_know(string name)
    {
        using var dir = new TempDirectory("deploy-nginx");
        var copy = (await LoopbackConfig.CreateAsync(name, dir)).Text;
        var result = await NginxTest(dir, dir.Write("nginx.conf", copy));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unknown directive \"sluice_metrics\"", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dev_configuration_is_the_production_one_without_tls()
    {
        // Compared with the lines Sluice cannot run yet restored: what stays different is TLS alone.
        var production = await File.ReadAllTextAsync(Repo.Deploy("sluice.conf"));
        var dev = PendingDirectives.Restore(await File.ReadAllTextAsync(Repo.Deploy("sluice-dev.conf")));
        Assert.DoesNotContain("ssl", dev, StringComparison.Ordinal);
        Assert.DoesNotContain("#(not yet)", production, StringComparison.Ordinal);
        Assert.Contains("listen 443 ssl http2;", production, StringComparison.Ordinal);
        foreach (var location in new[] { "location /api", "location /stream", "location /nginx-health", "location /nginx-status", "location = /metrics" })
        {
            Assert.Equal(Block(production, location), Block(dev, location));
        }

        Assert.Equal(Block(production, "upstream backend"), Block(dev, "upstream backend"));
        Assert.Equal(Block(production, "events"), Block(dev, "events"));
        Assert.Equal(HttpLevel(production), HttpLevel(dev));
    }

    private static Task<ProcessResult> NginxTest(TempDirectory dir, string conf) =>
        ProcessRunner.RunAsync(Tools.Nginx, ["-t", "-p", dir.Path + "/", "-e", dir.Combine("logs", "startup-error.log"), "-c", conf], dir.Path);

    /// <summary>The body of the first block <paramref name="header"/> (one without nested blocks), comments dropped.</summary>
    private static string Block(string conf, string header)
    {
        var match = Regex.Match(conf, Regex.Escape(header) + @"\s*\{([^}]*)\}");
        Assert.True(match.Success, $"no {header} block");
        return WithoutComments(match.Groups[1].Value);
    }

    /// <summary>The http block's own directives, up to the first nested block (upstream): performance, logs, gzip, limit_req_zone.</summary>
    private static string HttpLevel(string conf)
    {
        var match = Regex.Match(conf, @"http\s*\{([^{}]*)upstream ");
        Assert.True(match.Success, "no http block starting with directives, then upstream");
        return WithoutComments(match.Groups[1].Value);
    }

    private static string WithoutComments(string text) =>
        string.Join('\n', text.Split('\n').Select(l => Regex.Replace(l, "#.*", "").TrimEnd()).Where(l => l.Length > 0));
}
