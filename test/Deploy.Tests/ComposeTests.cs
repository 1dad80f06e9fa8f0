using Deploy.Tests.Infrastructure;

namespace Deploy.Tests;

/// <summary>deploy/docker-compose.yml, as docker-compose (1.29, the Debian package) reads it.</summary>
public sealed class ComposeTests
{
    private static readonly string[] Services = ["app-1", "app-2", "app-3", "grafana", "prometheus", "redis", "sluice"];

    [Theory]
    [InlineData("")]
    [InlineData("sluice.conf")]
    public async Task Compose_file_is_valid(string sluiceConf)
    {
        var result = await Compose(sluiceConf, "config", "-q");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.DoesNotContain("WARNING", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Compose_has_the_guides_services()
    {
        var result = await Compose("", "config", "--services");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(Services, result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("", "sluice-dev.conf")]
    [InlineData("sluice.conf", "sluice.conf")]
    public async Task Every_file_the_stack_mounts_or_builds_from_exists(string sluiceConf, string mounted)
    {
        var result = await Compose(sluiceConf, "config");
        Assert.True(result.ExitCode == 0, result.Output);
        var lines = result.Stdout.Split('\n');

        // Bind mounts, resolved to absolute paths: "- /abs/source:/target[:mode]". ./ssl holds the operator's certificates.
        var sources = lines.Select(l => l.Trim())
            .Where(l => l.StartsWith("- /", StringComparison.Ordinal))
            .Select(l => l[2..].Split(':')[0])
            .ToList();
        Assert.Contains(Repo.Deploy(mounted), sources);
        Assert.Contains(Repo.Deploy("prometheus", "alerts.yml"), sources);
        foreach (var source in sources.Where(s => s != Repo.Deploy("ssl")))
        {
            Assert.True(File.Exists(source) || Directory.Exists(source), $"{source} is mounted but does not exist");
        }

        var dockerfiles = lines.Select(l => l.Trim())
            .Where(l => l.StartsWith("dockerfile: ", StringComparison.Ordinal))
            .Select(l => l["dockerfile: ".Length..])
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(["deploy/Dockerfile", "deploy/StreamApp.Dockerfile"], dockerfiles);
        Assert.All(dockerfiles, d => Assert.True(File.Exists(Path.Combine(Repo.Root, d)), d));
        Assert.Contains($"context: {Repo.Root}", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sluice_image_runs_the_configuration_the_compose_file_mounts()
    {
        var dockerfile = await File.ReadAllTextAsync(Repo.Deploy("Dockerfile"));
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", dockerfile, StringComparison.Ordinal);
        Assert.Contains("dotnet publish -c Release src/Sluice.Cli", dockerfile, StringComparison.Ordinal);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:10.0", dockerfile, StringComparison.Ordinal);
        Assert.Contains("STOPSIGNAL SIGQUIT", dockerfile, StringComparison.Ordinal);
        Assert.Contains("http://localhost/nginx-health", dockerfile, StringComparison.Ordinal);
        Assert.Contains("CMD [\"sluice\", \"-c\", \"/etc/sluice/sluice.conf\"]", dockerfile, StringComparison.Ordinal);
        var compose = await File.ReadAllTextAsync(Repo.Deploy("docker-compose.yml"));
        Assert.Contains(":/etc/sluice/sluice.conf:ro", compose, StringComparison.Ordinal);

        // Both configurations write the pid and logs where the image makes them writable for its user.
        foreach (var conf in new[] { "sluice.conf", "sluice-dev.conf" })
        {
            var text = await File.ReadAllTextAsync(Repo.Deploy(conf));
            Assert.Contains("pid /run/sluice/sluice.pid;", text, StringComparison.Ordinal);
            Assert.Contains("/var/log/sluice/access.log", text, StringComparison.Ordinal);
        }

        Assert.Contains("chown app:app /var/log/sluice /run/sluice", dockerfile, StringComparison.Ordinal);
    }

    internal static Task<ProcessResult> Compose(string sluiceConf, params string[] arguments) =>
        ProcessRunner.RunAsync(
            Tools.DockerCompose,
            ["-f", "deploy/docker-compose.yml", .. arguments],
            Repo.Root,
            new Dictionary<string, string> { ["SLUICE_CONF"] = sluiceConf, ["GRAFANA_ADMIN_PASSWORD"] = "" },
            TimeSpan.FromSeconds(60));
}
