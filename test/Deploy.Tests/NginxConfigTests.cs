using System.Text.RegularExpressions;
using Deploy.Tests.Infrastructure;

namespace Deploy.Tests;

/// <summary>
/// deploy/sluice.conf and sluice-dev.conf are valid nginx configuration apart from Sluice's sluice_metrics:
/// the real nginx (-t) accepts copies whose hostnames, ports and paths point at this machine, whose
/// certificates are generated here, and whose "sluice_metrics;" lines are removed.
/// </summary>
public sealed class NginxConfigTests
{
    [Theory]
    [InlineData("sluice.conf", 2)]
    [InlineData("sluice-dev.conf", 1)]
    public async Task Configuration_is_valid_nginx_without_sluice_metrics(string name, int metricsLocations)
    {
        using var dir = new TempDirectory("deploy-nginx");
        var copy = await LocalCopy(name, dir);
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
        var copy = await LocalCopy(name, dir);
        var result = await NginxTest(dir, dir.Write("nginx.conf", copy));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unknown directive \"sluice_metrics\"", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dev_configuration_is_the_production_one_without_tls()
    {
        var production = await File.ReadAllTextAsync(Repo.Deploy("sluice.conf"));
        var dev = await File.ReadAllTextAsync(Repo.Deploy("sluice-dev.conf"));
        Assert.DoesNotContain("ssl", dev, StringComparison.Ordinal);
        Assert.Contains("listen 443 ssl http2;", production, StringComparison.Ordinal);
        foreach (var location in new[] { "location /api {", "location /stream {", "location /nginx-health {", "location /nginx-status {", "location = /metrics {" })
        {
            Assert.Contains(location, dev, StringComparison.Ordinal);
            Assert.Contains(location, production, StringComparison.Ordinal);
        }

        Assert.Equal(Block(production, "upstream backend"), Block(dev, "upstream backend"));
        Assert.Equal(Block(production, "events"), Block(dev, "events"));
    }

    /// <summary>The file with app-N:8000 at unused loopback ports, listeners on free loopback ports, logs, pid and certificates in <paramref name="dir"/>.</summary>
    private static async Task<string> LocalCopy(string name, TempDirectory dir)
    {
        var text = await File.ReadAllTextAsync(Repo.Deploy(name));
        for (var i = 1; i <= 3; i++)
        {
            text = Edit.Replace(text, $"server app-{i}:8000 ", $"server 127.0.0.1:{FreePort.Next()} ", name);
        }

        text = Edit.Replace(text, "listen 80;", $"listen 127.0.0.1:{FreePort.Next()};", name);
        text = Edit.Replace(text, "/var/log/sluice/", dir.Combine("logs") + "/", name);
        text = Edit.Replace(text, "pid /run/sluice/sluice.pid;", $"pid {dir.Combine("nginx.pid")};", name);
        if (text.Contains("ssl_certificate", StringComparison.Ordinal))
        {
            var (cert, key) = await SelfSignedCertificate(dir);
            text = Edit.Replace(text, "listen 443 ssl http2;", $"listen 127.0.0.1:{FreePort.Next()} ssl http2;", name);
            text = Edit.Replace(text, "ssl_certificate /etc/sluice/ssl/fullchain.pem;", $"ssl_certificate {cert};", name);
            text = Edit.Replace(text, "ssl_certificate_key /etc/sluice/ssl/privkey.pem;", $"ssl_certificate_key {key};", name);
        }

        Assert.DoesNotMatch(@"app-\d|/etc/sluice|/var/log|/run/|listen (80|443)\b", Regex.Replace(text, "#.*", ""));
        Directory.CreateDirectory(dir.Combine("logs"));
        return text;
    }

    private static async Task<(string Cert, string Key)> SelfSignedCertificate(TempDirectory dir)
    {
        var cert = dir.Combine("fullchain.pem");
        var key = dir.Combine("privkey.pem");
        var result = await ProcessRunner.RunAsync(
            Tools.Openssl,
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
             "-subj", "/CN=api.example.com", "-keyout", key, "-out", cert]);
        Assert.True(result.ExitCode == 0, result.Output);
        return (cert, key);
    }

    private static Task<ProcessResult> NginxTest(TempDirectory dir, string conf) =>
        ProcessRunner.RunAsync(Tools.Nginx, ["-t", "-p", dir.Path + "/", "-e", dir.Combine("logs", "startup-error.log"), "-c", conf], dir.Path);

    private static string Block(string conf, string header)
    {
        var match = Regex.Match(conf, Regex.Escape(header) + @"\s*\{([^}]*)\}");
        Assert.True(match.Success, $"no {header} block");
        return match.Groups[1].Value;
    }
}
