using System.Text.RegularExpressions;
using Deploy.Tests.Infrastructure;

namespace Deploy.Tests;

/// <summary>deploy/keepalived: both configurations pass keepalived's own configuration test and agree with each other.</summary>
public sealed class KeepalivedTests
{
    private const string InstalledScript = "/usr/local/bin/check_sluice.sh";

    [Theory]
    [InlineData("keepalived-master.conf")]
    [InlineData("keepalived-backup.conf")]
    public async Task Configuration_passes_keepalived_config_test(string name)
    {
        // A copy whose vrrp_script is the repository's check_sluice.sh (keepalived -t disables a missing or
        // insecure script and fails) and whose interface exists on this machine (eth0 is the guide's).
        using var dir = new TempDirectory("deploy-keepalived");
        var text = await File.ReadAllTextAsync(Repo.Deploy("keepalived", name));
        text = Edit.Replace(text, $"script \"{InstalledScript}\"", $"script \"{Repo.Deploy("keepalived", "check_sluice.sh")}\"", name);
        text = Edit.Replace(text, "interface eth0", $"interface {NetworkInterface()}", name);
        var copy = dir.Write(name, text);
        File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        // keepalived checks scripts as the root user it runs as in production.
        var result = Tools.IsRoot
            ? await ProcessRunner.RunAsync(Tools.Keepalived, ["-t", "-f", copy])
            : await ProcessRunner.RunAsync("sudo", ["-n", Tools.Keepalived, "-t", "-f", copy]);

        // -t exits non-zero on any warning (a truncated auth_pass, a disabled script, an unknown keyword).
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal("", result.Stderr.Trim());
    }

    [Fact]
    public void Master_and_backup_form_one_vrrp_instance_and_the_master_wins()
    {
        var master = File.ReadAllText(Repo.Deploy("keepalived", "keepalived-master.conf"));
        var backup = File.ReadAllText(Repo.Deploy("keepalived", "keepalived-backup.conf"));
        Assert.Equal("MASTER", Value(master, "state"));
        Assert.Equal("BACKUP", Value(backup, "state"));
        foreach (var key in new[] { "virtual_router_id", "auth_type", "auth_pass", "advert_int", "interface", "script" })
        {
            Assert.Equal(Value(master, key), Value(backup, key));
        }

        Assert.Equal(Block(master, "virtual_ipaddress"), Block(backup, "virtual_ipaddress"));
        Assert.Equal($"\"{InstalledScript}\"", Value(master, "script"));

        // A healthy node adds "weight" to its priority: the master must win when both are healthy and lose when
        // only its own check fails.
        var weight = int.Parse(Value(master, "weight"), System.Globalization.CultureInfo.InvariantCulture);
        var masterPriority = int.Parse(Value(master, "priority"), System.Globalization.CultureInfo.InvariantCulture);
        var backupPriority = int.Parse(Value(backup, "priority"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(masterPriority + weight > backupPriority + weight, "healthy master must win");
        Assert.True(masterPriority < backupPriority + weight, "a master whose check fails must lose to a healthy backup");
    }

    [Fact]
    public void Check_script_is_executable_and_not_writable_by_others()
    {
        var mode = File.GetUnixFileMode(Repo.Deploy("keepalived", "check_sluice.sh"));
        Assert.True(mode.HasFlag(UnixFileMode.UserExecute) && mode.HasFlag(UnixFileMode.OtherExecute), mode.ToString());
        Assert.False(mode.HasFlag(UnixFileMode.OtherWrite) || mode.HasFlag(UnixFileMode.GroupWrite), mode.ToString());
    }

    private static string NetworkInterface()
    {
        var names = Directory.GetDirectories("/sys/class/net").Select(Path.GetFileName).Where(n => n is not null && n != "lo").ToList();
        Assert.True(names.Count > 0, "keepalived needs a non-loopback network interface");
        return names.Contains("eth0") ? "eth0" : names.Order(StringComparer.Ordinal).First()!;
    }

    private static string Value(string conf, string key)
    {
        var match = Regex.Match(conf, $@"^\s*{key}\s+(\S+)", RegexOptions.Multiline);
        Assert.True(match.Success, $"no {key}");
        return match.Groups[1].Value;
    }

    private static string Block(string conf, string name)
    {
        var match = Regex.Match(conf, $@"{name}\s*\{{([^}}]*)\}}");
        Assert.True(match.Success, $"no {name} block");
        return match.Groups[1].Value.Trim();
    }
}
