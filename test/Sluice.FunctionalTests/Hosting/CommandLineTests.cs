using Sluice.FunctionalTests.Configuration;
using Sluice.FunctionalTests.Infrastructure;

namespace Sluice.FunctionalTests.Hosting;

/// <summary>The nginx command line: sluice answers as nginx does (program name aside).</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("-x")]
    [InlineData("foo")]
    [InlineData("-s", "foo")]
    [InlineData("-sfoo")]
    [InlineData("-c")]
    [InlineData("-p")]
    [InlineData("-e")]
    [InlineData("-g")]
    [InlineData("-s")]
    [InlineData("-tz")]
    public async Task Bad_options_get_nginx_messages(params string[] args)
    {
        var nginx = await ProcessRunner.RunAsync(Tools.Nginx, args);
        var sluice = await Tools.RunSluiceAsync(args);
        Assert.Equal(1, nginx.ExitCode);
        Assert.Equal(1, sluice.ExitCode);
        Assert.Equal(nginx.Stderr.Replace("nginx: ", "PROGRAM: ", StringComparison.Ordinal), sluice.Stderr.Replace("sluice: ", "PROGRAM: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Version_help_and_configure()
    {
        var version = await Tools.RunSluiceAsync(["-v"]);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^sluice version: sluice/\d+\.\d+\.\d+\n$", version.Stderr);

        var help = await Tools.RunSluiceAsync(["-h"]);
        Assert.Contains("Usage: sluice [-?hvVtTq] [-s signal] [-p prefix]", help.Stderr, StringComparison.Ordinal);
        Assert.Contains("-g directives : set global directives out of configuration file", help.Stderr, StringComparison.Ordinal);

        var configure = await Tools.RunSluiceAsync(["-V"]);
        Assert.Matches(@"(?m)^configure arguments: --prefix=", configure.Stderr);
    }

    [Theory]
    [InlineData("daemon off")]
    [InlineData("daemon {")]
    [InlineData("foo;")]
    [InlineData("daemon off;}")]
    [InlineData("events{}")]
    [InlineData("daemon off; daemon on;")]
    [InlineData("worker_processes x;")]
    [InlineData("include conf/missing.conf;")]
    [InlineData("pid logs/other.pid; worker_connections 5;")]
    public async Task Global_directives_from_the_command_line_match_nginx(string directives)
    {
        using var dir = new TempDirectory();
        dir.Write("conf/main.conf", "events {}\n");
        Directory.CreateDirectory(dir.Combine("logs"));
        string[] args = ["-t", "-p", dir.Path + "/", "-c", "conf/main.conf", "-g", directives];

        var nginx = await ProcessRunner.RunAsync(Tools.Nginx, args);
        var sluice = await Tools.RunSluiceAsync(args);

        Assert.Equal(nginx.ExitCode, sluice.ExitCode);
        Assert.Equal(NginxDifferentialConfigTests.Normalize(nginx.Stderr, "nginx"), NginxDifferentialConfigTests.Normalize(sluice.Stderr, "sluice"));
    }

    [Fact]
    public async Task A_global_directive_repeated_in_the_file_is_a_duplicate_there()
    {
        using var dir = new TempDirectory();
        dir.Write("conf/main.conf", "events {}\ndaemon off;\n");
        Directory.CreateDirectory(dir.Combine("logs"));
        var sluice = await Tools.RunSluiceAsync(["-t", "-q", "-p", dir.Path, "-c", "conf/main.conf", "-g", "daemon off;"]);
        Assert.Equal(1, sluice.ExitCode);
        Assert.Contains($"[emerg] ", sluice.Stderr, StringComparison.Ordinal);
        Assert.Contains($"\"daemon\" directive is duplicate in {dir.Path}/conf/main.conf:2", sluice.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_with_quiet_prints_only_problems()
    {
        using var dir = new TempDirectory();
        dir.Write("conf/main.conf", "events {}\n");
        Directory.CreateDirectory(dir.Combine("logs"));
        var quiet = await Tools.RunSluiceAsync(["-t", "-q", "-p", dir.Path, "-c", "conf/main.conf"]);
        Assert.Equal(0, quiet.ExitCode);
        Assert.Equal("", quiet.Stderr);

        var loud = await Tools.RunSluiceAsync(["-t", "-p", dir.Path, "-c", "conf/main.conf"]);
        Assert.Equal(
            $"sluice: the configuration file {dir.Path}/conf/main.conf syntax is ok\nsluice: configuration file {dir.Path}/conf/main.conf test is successful\n",
            loud.Stderr);
    }

    [Fact]
    public async Task Error_log_option_sends_messages_to_a_file_and_echoes_emergencies()
    {
        using var dir = new TempDirectory();
        dir.Write("conf/main.conf", "events {}\nbogus;\n");
        Directory.CreateDirectory(dir.Combine("logs"));
        string[] args = ["-t", "-p", dir.Path + "/", "-c", "conf/main.conf", "-e", "logs/startup.log"];

        var nginx = await ProcessRunner.RunAsync(Tools.Nginx, args);
        var nginxFile = File.ReadAllText(dir.Combine("logs", "startup.log"));
        File.Delete(dir.Combine("logs", "startup.log"));
        var sluice = await Tools.RunSluiceAsync(args);
        var sluiceFile = File.ReadAllText(dir.Combine("logs", "startup.log"));

        Assert.Equal(NginxDifferentialConfigTests.Normalize(nginx.Stderr, "nginx"), NginxDifferentialConfigTests.Normalize(sluice.Stderr, "sluice"));
        Assert.Equal(NginxDifferentialConfigTests.Normalize(nginxFile, "nginx"), NginxDifferentialConfigTests.Normalize(sluiceFile, "sluice"));
    }

    [Theory]
    [InlineData("reload", null)]
    [InlineData("quit", "garbage\n")]
    [InlineData("stop", "999999999\n")]
    public async Task Signalling_without_a_running_server_fails_like_nginx(string signal, string? pidFileContent)
    {
        using var dir = new TempDirectory();
        dir.Write("conf/main.conf", "pid logs/server.pid;\nevents {}\n");
        Directory.CreateDirectory(dir.Combine("logs"));
        if (pidFileContent is not null)
        {
            dir.Write("logs/server.pid", pidFileContent);
        }

        string[] args = ["-s", signal, "-p", dir.Path + "/", "-c", "conf/main.conf"];
        var nginx = await ProcessRunner.RunAsync(Tools.Nginx, args);
        var sluice = await Tools.RunSluiceAsync(args);

        Assert.Equal(1, nginx.ExitCode);
        Assert.Equal(1, sluice.ExitCode);
        Assert.Equal(NginxDifferentialConfigTests.Normalize(nginx.Stderr, "nginx"), NginxDifferentialConfigTests.Normalize(sluice.Stderr, "sluice"));
    }
}
