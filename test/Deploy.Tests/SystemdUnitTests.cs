using Deploy.Tests.Infrastructure;

namespace Deploy.Tests;

/// <summary>deploy/systemd/sluice.service, as systemd itself reads it.</summary>
public sealed class SystemdUnitTests
{
    [SystemdAnalyzeFact]
    public async Task Unit_passes_systemd_analyze_verify()
    {
        // verify also checks that every Exec*= program exists: the copy runs the sluice this build made
        // instead of /opt/sluice/sluice. Anything it prints (unknown keys are only warnings) fails the test.
        using var dir = new TempDirectory("deploy-systemd");
        var unit = Edit.Replace(await File.ReadAllTextAsync(Repo.Deploy("systemd", "sluice.service")), "/opt/sluice/sluice ", BuiltPrograms.SluiceExecutable + " ", "sluice.service");
        var result = await ProcessRunner.RunAsync(Tools.SystemdAnalyze!, ["verify", dir.Write("sluice.service", unit)], dir.Path);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.True(result.Stdout.Length == 0 && result.Stderr.Length == 0, result.Output);
    }

    [Fact]
    public async Task Reload_sends_the_reload_signal_and_stop_is_graceful()
    {
        var unit = await File.ReadAllTextAsync(Repo.Deploy("systemd", "sluice.service"));
        Assert.Contains("\nExecReload=/opt/sluice/sluice -s reload -c /etc/sluice/sluice.conf\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nKillSignal=SIGQUIT\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nPIDFile=/run/sluice/sluice.pid\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nRuntimeDirectory=sluice\n", unit, StringComparison.Ordinal);
    }
}

/// <summary>A fact that runs where systemd-analyze is installed and is skipped, saying so, where it is not (containers without systemd).</summary>
public sealed class SystemdAnalyzeFactAttribute : FactAttribute
{
    public SystemdAnalyzeFactAttribute()
    {
        if (Tools.SystemdAnalyze is null)
        {
            Skip = "systemd-analyze is not installed (Debian package systemd): deploy/systemd/sluice.service is not verified on this machine";
        }
    }
}
