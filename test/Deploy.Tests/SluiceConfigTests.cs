using System.Text.RegularExpressions;
using Deploy.Tests.Infrastructure;

namespace Deploy.Tests;

/// <summary>
/// The real <c>sluice -t</c> (src/Sluice.Cli as built) on loopback copies of deploy/sluice-dev.conf, the compose
/// stack's default, which must run today, and of deploy/sluice.conf, the guide's production config, which
/// fails only on the directives Sluice has not implemented yet — exactly the ones deploy/README.md names.
/// </summary>
public sealed partial class SluiceConfigTests
{
    [Fact]
    public async Task Dev_configuration_passes_sluice_test()
    {
        using var dir = new TempDirectory("deploy-sluice");
        var copy = await LoopbackConfig.CreateAsync("sluice-dev.conf", dir);
        var result = await SluiceTest(dir, copy.Text);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("test is successful", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("[emerg]", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dev_configuration_comments_out_exactly_the_directives_sluice_refuses()
    {
        // Restored, the commented-out lines are refused one by one as "not implemented yet" and nothing else
        // is: when Sluice implements one of them, this fails until its lines are uncommented.
        using var dir = new TempDirectory("deploy-sluice");
        var pending = PendingDirectives.Names(await File.ReadAllTextAsync(Repo.Deploy("sluice-dev.conf")));
        Assert.NotEmpty(pending);
        var copy = await LoopbackConfig.CreateAsync("sluice-dev.conf", dir, restorePending: true);
        var result = await SluiceTest(dir, copy.Text);
        Assert.True(result.ExitCode == 1, result.Output);
        Assert.Equal(pending.Order(StringComparer.Ordinal), NotImplemented(result).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Production_configuration_fails_only_on_what_is_not_implemented_and_the_readme_says_which()
    {
        using var dir = new TempDirectory("deploy-sluice");
        var copy = await LoopbackConfig.CreateAsync("sluice.conf", dir);
        var result = await SluiceTest(dir, copy.Text);
        var missing = NotImplemented(result);
        if (missing.Count == 0)
        {
            // The day it runs: deploy/README.md must stop saying it does not.
            Assert.True(result.ExitCode == 0, result.Output);
            Assert.DoesNotContain("keep it from running today", await File.ReadAllTextAsync(Repo.Deploy("README.md")), StringComparison.Ordinal);
            return;
        }

        Assert.True(result.ExitCode == 1, result.Output);
        var readme = ReadmeBlockers().Match(await File.ReadAllTextAsync(Repo.Deploy("README.md")));
        Assert.True(readme.Success, "deploy/README.md no longer says which directives keep sluice.conf from running");
        var named = Regex.Matches(readme.Groups["list"].Value, "`([a-z_0-9]+)`").Select(m => m.Groups[1].Value);
        Assert.Equal(missing.Order(StringComparer.Ordinal), named.Order(StringComparer.Ordinal));
    }

    /// <summary>The directives of the "[emerg] "x" directive is not implemented yet" lines; any other [emerg] fails the test.</summary>
    private static HashSet<string> NotImplemented(ProcessResult result)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in result.Stderr.Split('\n').Where(l => l.Contains("[emerg]", StringComparison.Ordinal)))
        {
            var match = NotImplementedLine().Match(line);
            Assert.True(match.Success, $"an error other than \"not implemented yet\": {line}\n{result.Output}");
            names.Add(match.Groups["name"].Value);
        }

        return names;
    }

    private static Task<ProcessResult> SluiceTest(TempDirectory dir, string config) =>
        BuiltPrograms.RunSluiceAsync(["-t", "-p", dir.Path + "/", "-c", dir.Write("sluice.conf", config)], dir.Path);

    [GeneratedRegex("""\[emerg\] .*"(?<name>[a-z_0-9]+)" directive is not implemented yet in """)]
    private static partial Regex NotImplementedLine();

    /// <summary>deploy/README.md's "The directives that keep it from running today: `x`, `y` … ." (names in backquotes, up to the full stop).</summary>
    [GeneratedRegex(@"directives that keep it from running today: (?<list>[^.]*)\.")]
    private static partial Regex ReadmeBlockers();
}
