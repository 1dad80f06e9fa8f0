using Sluice.FunctionalTests.Infrastructure;

namespace Sluice.FunctionalTests.Configuration;

/// <summary>
/// The nginx.conf corpus of <c>Corpus/</c> laid out as its README describes: a prefix whose <c>conf/</c> holds
/// every valid and invalid file side by side, the include folders, <c>mime.types</c> and a fresh self-signed
/// certificate, plus <c>logs/</c> and <c>cache/</c>. Built once per test run and shared.
/// </summary>
public sealed class ConfigCorpus : IDisposable
{
    private readonly TempDirectory _root = new("sluice-corpus");

    public ConfigCorpus()
    {
        Prefix = _root.Path + "/";
        var conf = _root.Combine("conf");
        Directory.CreateDirectory(Path.Combine(conf, "ssl"));
        Directory.CreateDirectory(_root.Combine("logs"));
        Directory.CreateDirectory(_root.Combine("cache"));

        foreach (var kind in new[] { "valid", "invalid", "extensions" })
        {
            foreach (var file in Directory.GetFiles(Path.Combine(SourceDirectory, kind), "*.conf"))
            {
                File.Copy(file, Path.Combine(conf, Path.GetFileName(file)));
            }
        }

        foreach (var dir in Directory.GetDirectories(SourceDirectory))
        {
            var name = Path.GetFileName(dir);
            if (name is "valid" or "invalid" or "extensions")
            {
                continue;
            }

            CopyDirectory(dir, Path.Combine(conf, name));
        }

        File.Copy(MimeTypesSource, Path.Combine(conf, "mime.types"));
        var ssl = Path.Combine(conf, "ssl");
        var openssl = ProcessRunner.RunAsync("openssl",
        [
            "req", "-x509", "-nodes", "-days", "1", "-newkey", "rsa:2048",
            "-keyout", Path.Combine(ssl, "privkey.pem"), "-out", Path.Combine(ssl, "fullchain.pem"), "-subj", "/CN=localhost",
        ]).GetAwaiter().GetResult();
        if (openssl.ExitCode != 0)
        {
            throw new InvalidOperationException("openssl failed: " + openssl.Stderr);
        }

        File.Copy(Path.Combine(ssl, "fullchain.pem"), Path.Combine(ssl, "chain.pem"));
    }

    /// <summary>The prefix directory, ending in '/'.</summary>
    public string Prefix { get; }

    public string ConfPath(string fileName) => Prefix + "conf/" + fileName;

    /// <summary>The corpus in the source tree (found by walking up from the test binaries).</summary>
    public static string SourceDirectory { get; } = FindSource();

    public static IEnumerable<string> Files(string kind) =>
        Directory.GetFiles(Path.Combine(SourceDirectory, kind), "*.conf").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    /// <summary>nginx's mime.types; the Debian package installs it with nginx.</summary>
    public static string MimeTypesSource => File.Exists("/etc/nginx/mime.types")
        ? "/etc/nginx/mime.types"
        : throw new InvalidOperationException("/etc/nginx/mime.types is missing: install nginx (the README's test command does)");

    public void Dispose() => _root.Dispose();

    private static string FindSource()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "test", "Sluice.FunctionalTests", "Corpus");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("test/Sluice.FunctionalTests/Corpus not found above " + AppContext.BaseDirectory);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.GetDirectories(from))
        {
            CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }
}
