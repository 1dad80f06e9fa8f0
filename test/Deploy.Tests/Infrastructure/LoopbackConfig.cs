using System.Text.RegularExpressions;

namespace Deploy.Tests.Infrastructure;

/// <summary>
/// A copy of deploy/sluice.conf or sluice-dev.conf that runs on this machine: app-N:8000 become loopback
/// addresses (the ones given, else unused ports), the listeners free loopback ports, logs and pid file in
/// the test's directory, certificates generated there.
/// </summary>
public sealed class LoopbackConfig
{
    private LoopbackConfig(string text, int httpPort)
    {
        Text = text;
        HttpPort = httpPort;
    }

    /// <summary>The configuration text.</summary>
    public string Text { get; }

    /// <summary>The port of "listen 80" (now on 127.0.0.1).</summary>
    public int HttpPort { get; }

    /// <param name="name">A file of deploy/.</param>
    /// <param name="dir">Where logs, pid file and certificates go.</param>
    /// <param name="apps">The addresses of app-1..3 (127.0.0.1:port); null: unused loopback ports.</param>
    /// <param name="restorePending">Uncomment the guide's lines Sluice cannot run yet (<see cref="PendingDirectives"/>).</param>
    public static async Task<LoopbackConfig> CreateAsync(string name, TempDirectory dir, IReadOnlyList<string>? apps = null, bool restorePending = false)
    {
        var text = await File.ReadAllTextAsync(Repo.Deploy(name));
        if (restorePending)
        {
            text = PendingDirectives.Restore(text);
        }

        for (var i = 1; i <= 3; i++)
        {
            var address = apps is null ? $"127.0.0.1:{FreePort.Next()}" : apps[i - 1];
            text = Edit.Replace(text, $"server app-{i}:8000 ", $"server {address} ", name);
        }

        var httpPort = FreePort.Next();
        text = Edit.Replace(text, "listen 80;", $"listen 127.0.0.1:{httpPort};", name);
        text = Edit.Replace(text, "/var/log/sluice/", dir.Combine("logs") + "/", name);
        text = Edit.Replace(text, "pid /run/sluice/sluice.pid;", $"pid {dir.Combine("sluice.pid")};", name);
        if (text.Contains("ssl_certificate", StringComparison.Ordinal))
        {
            var (cert, key) = await SelfSignedCertificate(dir);
            text = Edit.Replace(text, "listen 443 ssl http2;", $"listen 127.0.0.1:{FreePort.Next()} ssl http2;", name);
            text = Edit.Replace(text, "ssl_certificate /etc/sluice/ssl/fullchain.pem;", $"ssl_certificate {cert};", name);
            text = Edit.Replace(text, "ssl_certificate_key /etc/sluice/ssl/privkey.pem;", $"ssl_certificate_key {key};", name);
        }

        Assert.DoesNotMatch(@"app-\d|/etc/sluice|/var/log|/run/|listen (80|443)\b", Regex.Replace(text, "#.*", ""));
        Directory.CreateDirectory(dir.Combine("logs"));
        return new LoopbackConfig(text, httpPort);
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
}

/// <summary>
/// The guide's lines deploy/sluice-dev.conf keeps commented out as <c>#(not yet) …</c> because Sluice does not
/// implement their directives yet (its <c>-t</c> refuses them).
/// </summary>
public static partial class PendingDirectives
{
    /// <summary>The text with every <c>#(not yet) </c> prefix removed: the guide's configuration.</summary>
    public static string Restore(string text) => Marker().Replace(text, "$1");

    /// <summary>The directives the commented-out lines use (continuation lines, indented after the marker, name none).</summary>
    public static IReadOnlySet<string> Names(string text) =>
        DirectiveLine().Matches(text).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"^([ \t]*)#\(not yet\) ", RegexOptions.Multiline)]
    private static partial Regex Marker();

    [GeneratedRegex(@"^[ \t]*#\(not yet\) (?<name>[a-z_0-9]+)", RegexOptions.Multiline)]
    private static partial Regex DirectiveLine();
}
