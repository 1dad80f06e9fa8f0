using System.Net;
using Deploy.Tests.Infrastructure;
using StreamApp;

namespace Deploy.Tests;

/// <summary>
/// The two Dockerfiles, checked without a Docker daemon: the build stage copies every file restore and
/// publish read before it runs them (walking the project references, so a new reference cannot break the
/// image unnoticed), and the application image listens where Sluice and Prometheus in other containers reach it.
/// </summary>
public sealed class DockerfileTests
{
    [Theory]
    [InlineData("Dockerfile", "src/Sluice.Cli/Sluice.Cli.csproj")]
    [InlineData("StreamApp.Dockerfile", "samples/StreamApp/StreamApp.csproj")]
    public async Task Build_stage_copies_what_restore_and_publish_read_before_running_them(string dockerfile, string published)
    {
        var model = DockerfileModel.Parse(await File.ReadAllTextAsync(Repo.Deploy(dockerfile)));
        var build = Assert.Single(model.Stages, s => s.Before("dotnet publish") is not null);
        var (publish, copiedBeforePublish) = build.Before("dotnet publish")!.Value;
        var (restore, copiedBeforeRestore) = Assert.NotNull(build.Before("dotnet restore"));
        var closure = ProjectClosure.Of(publish.DotnetTarget("publish") ?? throw new InvalidOperationException($"no project in \"{publish.Command}\""));
        Assert.Equal(published, closure.Projects[0]);
        Assert.Equal(published, ProjectClosure.Of(restore.DotnetTarget("restore") ?? throw new InvalidOperationException($"no project in \"{restore.Command}\"")).Projects[0]);

        var ignore = DockerIgnore.Load(Path.Combine(Repo.Root, ".dockerignore"));
        var restoreInputs = closure.RestoreInputs.ToList();
        var sources = closure.Sources.ToList();
        Assert.Contains(restoreInputs, f => f.EndsWith("Directory.Packages.props", StringComparison.Ordinal));
        Assert.Contains(sources, f => f.EndsWith(".cs", StringComparison.Ordinal));
        foreach (var file in restoreInputs.Concat(sources))
        {
            Assert.False(ignore.Excludes(file), $".dockerignore leaves {file} out of the build context, and the build of {published} reads it");
        }

        foreach (var file in restoreInputs)
        {
            Assert.True(copiedBeforeRestore.Any(c => c.Places(file, Repo.Root)), $"{dockerfile}: {file} (restore of {published} reads it) is not copied to its place before \"{restore.Command}\"");
        }

        foreach (var file in restoreInputs.Concat(sources))
        {
            Assert.True(copiedBeforePublish.Any(c => c.Places(file, Repo.Root)), $"{dockerfile}: {file} (publish of {published} reads it) is not copied to its place before \"{publish.Command}\"");
        }
    }

    [Theory]
    [InlineData("app-1")]
    [InlineData("app-2")]
    [InlineData("app-3")]
    public async Task Application_containers_listen_on_every_address_at_the_port_the_stack_uses(string service)
    {
        // The image's environment, then what docker-compose sets for the service, read by StreamApp's own parser.
        var model = DockerfileModel.Parse(await File.ReadAllTextAsync(Repo.Deploy("StreamApp.Dockerfile")));
        var environment = new Dictionary<string, string>(model.Stages[^1].Environment, StringComparer.Ordinal);
        var config = await ComposeTests.Compose("", "config");
        Assert.True(config.ExitCode == 0, config.Output);
        foreach (var (name, value) in ComposeEnvironment(config.Stdout, service))
        {
            environment[name] = value;
        }

        var options = StreamAppOptions.FromEnvironment(name => environment.GetValueOrDefault(name));
        Assert.Contains(options.ListenAddress(), new[] { IPAddress.Any, IPAddress.IPv6Any });
        Assert.Equal(8000, options.Port);
        Assert.Equal(service, options.InstanceId);
        Assert.Contains($"- {service}:8000", await File.ReadAllTextAsync(Repo.Deploy("prometheus", "prometheus.yml")), StringComparison.Ordinal);
        Assert.Contains($"server {service}:8000 ", await File.ReadAllTextAsync(Repo.Deploy("sluice-dev.conf")), StringComparison.Ordinal);
    }

    /// <summary>The "environment:" map of one service in docker-compose config's normalized output.</summary>
    private static IEnumerable<(string Name, string Value)> ComposeEnvironment(string config, string service)
    {
        var lines = config.Split('\n');
        var start = Array.IndexOf(lines, $"  {service}:");
        Assert.True(start >= 0, $"no service {service} in:\n{config}");
        var inService = lines.Skip(start + 1).TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal)).ToList();
        var environment = inService.SkipWhile(l => l != "    environment:").Skip(1).TakeWhile(l => l.StartsWith("      ", StringComparison.Ordinal));
        foreach (var line in environment)
        {
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            yield return (line[..colon].Trim(), line[(colon + 2)..].Trim().Trim('\''));
        }
    }
}
