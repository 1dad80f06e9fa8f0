using System.Diagnostics;
using System.Globalization;
using Deploy.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Deploy.Tests;

/// <summary>
/// deploy/keepalived/check_sluice.sh, run as keepalived runs it, against a health endpoint and a process the
/// test controls: SLUICE_HEALTH_URL points at a loopback server, SLUICE_PROCESS_NAME / SLUICE_PIDFILE at a
/// process started here under a unique name (a copy of sleep), so the machine's own processes do not matter.
/// </summary>
public sealed class CheckScriptTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new("deploy-check");
    private readonly List<Process> _processes = [];
    private LoopbackServer? _healthy;
    private LoopbackServer? _failing;

    private static string Script => Repo.Deploy("keepalived", "check_sluice.sh");

    public async Task InitializeAsync()
    {
        _healthy = await LoopbackServer.StartAsync(context =>
        {
            context.Response.StatusCode = context.Request.Path == "/nginx-health" ? 200 : 404;
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync("OK\n");
        });
        _failing = await LoopbackServer.StartAsync(context =>
        {
            context.Response.StatusCode = 503;
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task Healthy_when_the_pid_file_names_a_running_sluice_and_health_answers_200()
    {
        var (name, process) = StartNamedProcess();
        var result = await Check(HealthUrl(_healthy!), name, PidFile(process.Id));
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(1, _healthy!.Requests);
    }

    [Fact]
    public async Task Healthy_when_pgrep_finds_the_process_by_name_without_a_pid_file()
    {
        var (name, _) = StartNamedProcess();
        var result = await Check(HealthUrl(_healthy!), name, pidFile: null);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Fact]
    public async Task Unhealthy_when_nothing_listens_on_the_health_url()
    {
        var (name, process) = StartNamedProcess();
        var result = await Check($"http://127.0.0.1:{FreePort.Next()}/nginx-health", name, PidFile(process.Id));
        Assert.True(result.ExitCode == 1, result.Output);
    }

    [Fact]
    public async Task Unhealthy_when_the_health_url_answers_an_error()
    {
        var (name, process) = StartNamedProcess();
        var result = await Check(HealthUrl(_failing!), name, PidFile(process.Id));
        Assert.True(result.ExitCode == 1, result.Output);
        Assert.Equal(1, _failing!.Requests);
    }

    [Fact]
    public async Task Unhealthy_when_no_process_has_the_name()
    {
        var result = await Check(HealthUrl(_healthy!), UniqueName(), pidFile: null);
        Assert.True(result.ExitCode == 1, result.Output);
        Assert.Equal(0, _healthy!.Requests);
    }

    [Fact]
    public async Task Unhealthy_when_the_process_in_the_pid_file_has_exited()
    {
        var (name, process) = StartNamedProcess();
        var pidFile = PidFile(process.Id);
        process.Kill();
        await process.WaitForExitAsync();
        var result = await Check(HealthUrl(_healthy!), name, pidFile);
        Assert.True(result.ExitCode == 1, result.Output);
    }

    [Fact]
    public async Task Unhealthy_when_the_pid_file_names_another_program_or_is_missing()
    {
        var (name, _) = StartNamedProcess();
        var other = await Check(HealthUrl(_healthy!), name, PidFile(Environment.ProcessId));
        Assert.True(other.ExitCode == 1, other.Output);
        var missing = await Check(HealthUrl(_healthy!), name, _dir.Combine("absent.pid"));
        Assert.True(missing.ExitCode == 1, missing.Output);
    }

    [Fact]
    public async Task Defaults_are_the_guides_process_name_and_url()
    {
        var script = await File.ReadAllTextAsync(Script);
        Assert.StartsWith("#!/bin/sh\n", script, StringComparison.Ordinal);
        Assert.Contains("name=\"${SLUICE_PROCESS_NAME:-sluice}\"", script, StringComparison.Ordinal);
        Assert.Contains("url=\"${SLUICE_HEALTH_URL:-http://localhost/nginx-health}\"", script, StringComparison.Ordinal);
        Assert.Contains("pgrep -x \"$name\"", script, StringComparison.Ordinal);
    }

    private static string HealthUrl(LoopbackServer server) => $"http://{server.Address}/nginx-health";

    private static string UniqueName() => "slc" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A copy of sleep named uniquely (at most 15 characters, the length of a Linux process name), killed on dispose.</summary>
    private (string Name, Process Process) StartNamedProcess()
    {
        var name = UniqueName();
        var path = _dir.Combine(name);
        File.Copy(File.Exists("/bin/sleep") ? "/bin/sleep" : "/usr/bin/sleep", path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        var process = Process.Start(new ProcessStartInfo(path, "60") { UseShellExecute = false })!;
        _processes.Add(process);
        return (name, process);
    }

    private string PidFile(int pid) => _dir.Write($"{Guid.NewGuid():N}.pid", pid.ToString(CultureInfo.InvariantCulture) + "\n");

    private static Task<ProcessResult> Check(string url, string name, string? pidFile)
    {
        var environment = new Dictionary<string, string>
        {
            ["SLUICE_HEALTH_URL"] = url,
            ["SLUICE_PROCESS_NAME"] = name,
            ["SLUICE_PIDFILE"] = pidFile ?? "",
        };

        // Run as keepalived does: the file itself, by its shebang.
        return ProcessRunner.RunAsync(Script, [], Repo.Root, environment);
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }

        if (_healthy is not null)
        {
            await _healthy.DisposeAsync();
        }

        if (_failing is not null)
        {
            await _failing.DisposeAsync();
        }
    }

    public void Dispose() => _dir.Dispose();
}
