using System.Globalization;
using Sluice.FunctionalTests.Infrastructure;

namespace Sluice.FunctionalTests.Hosting;

/// <summary>The process skeleton: pid file, error log format, and the signals nginx's master answers.</summary>
public sealed class ProcessLifecycleTests
{
    private const string Config = "pid logs/sluice.pid;\nerror_log logs/error.log info;\nevents {\n    worker_connections 64;\n}\n";

    private static async Task<(TempDirectory Dir, SluiceProcess Process)> StartAsync(string config = Config)
    {
        var dir = new TempDirectory();
        dir.Write("conf/sluice.conf", config);
        Directory.CreateDirectory(dir.Combine("logs"));
        var process = SluiceProcess.Start("-p", dir.Path + "/", "-c", "conf/sluice.conf");
        var pidFile = dir.Combine("logs", "sluice.pid");
        await Eventually.TrueAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0 || process.HasExited, "pid file written");
        Assert.False(process.HasExited, process.Stderr);
        return (dir, process);
    }

    [Fact]
    public async Task Writes_pid_file_and_removes_it_on_quit()
    {
        var (dir, process) = await StartAsync();
        using (dir)
        await using (process)
        {
            var pidFile = dir.Combine("logs", "sluice.pid");
            Assert.Equal(process.Pid.ToString(CultureInfo.InvariantCulture) + "\n", File.ReadAllText(pidFile));

            var quit = await Tools.RunSluiceAsync(["-s", "quit", "-p", dir.Path + "/", "-c", "conf/sluice.conf"]);
            Assert.Equal(0, quit.ExitCode);
            Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
            Assert.False(File.Exists(pidFile));

            var log = File.ReadAllText(dir.Combine("logs", "error.log"));
            Assert.Matches(@"(?m)^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[notice\] \d+#\d+: signal 3 \(SIGQUIT\) received, shutting down$", log);
        }
    }

    [Theory]
    [InlineData("TERM", "signal 15 (SIGTERM) received, exiting")]
    [InlineData("INT", "signal 2 (SIGINT) received, exiting")]
    public async Task Term_and_int_exit_at_once(string signal, string logged)
    {
        var (dir, process) = await StartAsync();
        using (dir)
        await using (process)
        {
            await process.SignalAsync(signal);
            Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
            Assert.Contains(logged, File.ReadAllText(dir.Combine("logs", "error.log")), StringComparison.Ordinal);
            Assert.False(File.Exists(dir.Combine("logs", "sluice.pid")));
        }
    }

    [Fact]
    public async Task Reload_with_a_broken_config_keeps_running_and_logs_why()
    {
        var (dir, process) = await StartAsync();
        using (dir)
        await using (process)
        {
            var log = dir.Combine("logs", "error.log");
            dir.Write("conf/sluice.conf", Config + "bogus_directive on;\n");
            await process.SignalAsync("HUP");
            await Eventually.TrueAsync(() => File.ReadAllText(log).Contains("unknown directive \"bogus_directive\"", StringComparison.Ordinal), "emerg logged");
            Assert.Matches($@"(?m)\[emerg\] \d+#\d+: unknown directive ""bogus_directive"" in {dir.Path}/conf/sluice.conf:6$", File.ReadAllText(log));
            Assert.False(process.HasExited);

            // A good configuration after a bad one is taken: the new error_log level applies.
            dir.Write("conf/sluice.conf", Config.Replace("info", "notice", StringComparison.Ordinal) + "worker_rlimit_nofile 2048;\n");
            var reload = await Tools.RunSluiceAsync(["-s", "reload", "-p", dir.Path + "/", "-c", "conf/sluice.conf"]);
            Assert.Equal(0, reload.ExitCode);
            await Eventually.TrueAsync(() => CountOccurrences(File.ReadAllText(log), "reconfiguring") == 2, "second reload logged");
            Assert.False(process.HasExited);
        }
    }

    [Fact]
    public async Task Usr1_reopens_the_error_log()
    {
        var (dir, process) = await StartAsync();
        using (dir)
        await using (process)
        {
            var log = dir.Combine("logs", "error.log");
            await Eventually.TrueAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("start worker processes", StringComparison.Ordinal), "startup logged");
            File.Move(log, log + ".1");
            await Tools.RunSluiceAsync(["-s", "reopen", "-p", dir.Path + "/", "-c", "conf/sluice.conf"]);
            await Eventually.TrueAsync(() => File.Exists(log), "log reopened");

            await process.SignalAsync("TERM");
            await process.WaitForExitAsync(TimeSpan.FromSeconds(20));
            Assert.Contains("exit", File.ReadAllText(log), StringComparison.Ordinal);
            Assert.Contains("reopening logs", File.ReadAllText(log + ".1"), StringComparison.Ordinal);
        }
    }

    /// <summary>logrotate's way: rename the access log, send USR1; the file is made again and the next line goes there, none is lost.</summary>
    [Fact]
    public async Task Usr1_reopens_an_access_log()
    {
        await using var sluice = await StartWithUriAccessLogAsync();
        using var client = new HttpClient();
        var log = Path.Combine(sluice.Logs, "access.log");
        await client.GetStringAsync(sluice.Url + "/before");
        await Eventually.TrueAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("/before", StringComparison.Ordinal), "first line written");

        File.Move(log, log + ".1");
        await sluice.Process.SignalAsync("USR1");
        await Eventually.TrueAsync(() => File.Exists(log), "access log made again");
        await client.GetStringAsync(sluice.Url + "/after");
        await Eventually.TrueAsync(() => File.ReadAllText(log).Length > 0, "line after the reopen written");

        Assert.Equal("/after 200\n", File.ReadAllText(log));
        Assert.Equal("/before 200\n", File.ReadAllText(log + ".1"));
    }

    /// <summary>
    /// logrotate's <c>copytruncate</c>: the access log is copied and emptied in place, no signal. nginx appends (O_APPEND),
    /// so its next line starts the emptied file; a writer that kept its own offset would put it after a run of NULs.
    /// </summary>
    [Fact]
    public async Task A_truncated_access_log_gets_the_next_line_at_its_start()
    {
        await using var sluice = await StartWithUriAccessLogAsync();
        using var client = new HttpClient();
        var log = Path.Combine(sluice.Logs, "access.log");
        for (var i = 0; i < 20; i++)
        {
            await client.GetStringAsync(sluice.Url + $"/before/{i}");
        }

        await Eventually.TrueAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("/before/19", StringComparison.Ordinal), "lines written");

        using (new FileStream(log, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite))
        {
        }

        await client.GetStringAsync(sluice.Url + "/after");
        await Eventually.TrueAsync(() => File.ReadAllText(log).Contains("/after", StringComparison.Ordinal), "line after the truncation written");

        Assert.Equal("/after 200\n", File.ReadAllText(log));
    }

    /// <summary>Sluice answering 200 to everything, logging "$request_uri $status" to logs/access.log.</summary>
    private static Task<SluiceInstance> StartWithUriAccessLogAsync() => SluiceInstance.StartAsync(port => $$"""
        events {}
        http {
            log_format uri '$request_uri $status';
            access_log logs/access.log uri;
            server { listen 127.0.0.1:{{port}}; return 200 "ok\n"; }
        }
        """);

    /// <summary>
    /// Started as a shell script's background job (<c>sluice … &amp;</c>), which a non-interactive shell starts with
    /// SIGINT and SIGQUIT ignored, Sluice still answers QUIT as nginx does: it stops accepting, lets the request in
    /// flight finish with its 200, then exits.
    /// </summary>
    [Fact]
    public async Task Quit_reaches_a_background_job_and_drains_the_request_in_flight()
    {
        // The premise: a job started this way ignores INT and QUIT (else this test could not fail).
        var sleeper = await StartInBackgroundAsync("sleep", "60");
        try
        {
            Assert.Equal(0b110UL, SignalMask(sleeper, "SigIgn:") & 0b110UL);
        }
        finally
        {
            await ProcessRunner.RunAsync("kill", ["-KILL", sleeper.ToString(CultureInfo.InvariantCulture)]);
        }

        await using var backend = await TestBackend.StartAsync("b1");
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("logs"));
        var port = FreePort.Next();
        dir.Write("conf/sluice.conf", Config + $$"""
            http {
                access_log off;
                server { listen 127.0.0.1:{{port}}; location / { proxy_pass http://{{backend.Address}}; } }
            }
            """);
        var pid = await StartInBackgroundAsync(Tools.DotnetHost, "exec", Tools.SluiceDll, "-p", dir.Path + "/", "-c", "conf/sluice.conf");
        try
        {
            await NginxProcess.WaitForPortAsync(port, () => !IsRunning(pid), "sluice");
            Assert.Equal(0UL, SignalMask(pid, "SigIgn:") & 0b110UL);

            using var client = new HttpClient();
            var inFlight = client.GetAsync($"http://127.0.0.1:{port}/hold/1");
            await Eventually.TrueAsync(() => backend.Held == 1, "request held by the backend");

            var quit = await Tools.RunSluiceAsync(["-s", "quit", "-p", dir.Path + "/", "-c", "conf/sluice.conf"]);
            Assert.Equal(0, quit.ExitCode);
            var log = dir.Combine("logs", "error.log");
            await Eventually.TrueAsync(() => File.ReadAllText(log).Contains("gracefully shutting down", StringComparison.Ordinal), "QUIT handled");
            Assert.True(IsRunning(pid), "exited with a request in flight");

            backend.ReleaseHeld();
            using var response = await inFlight;
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("b1", BackendEcho.Parse(await response.Content.ReadAsStringAsync())?.Backend);
            await Eventually.TrueAsync(() => !IsRunning(pid), "sluice exited after the drain");
            Assert.EndsWith("exit\n", File.ReadAllText(log), StringComparison.Ordinal);
        }
        finally
        {
            if (IsRunning(pid))
            {
                await ProcessRunner.RunAsync("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
            }
        }
    }

    /// <summary>Runs <c>bash -c '"$@" &amp;'</c>: a background job of a non-interactive shell, as a start script makes one; returns its pid.</summary>
    private static async Task<int> StartInBackgroundAsync(params string[] command)
    {
        var result = await ProcessRunner.RunAsync("bash", ["-c", "\"$@\" </dev/null >/dev/null 2>&1 & echo $!", "bash", .. command]);
        Assert.Equal(0, result.ExitCode);
        return int.Parse(result.Stdout.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>Alive and not a zombie (an orphan is reaped by whoever adopted it, maybe late).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            return !File.ReadLines($"/proc/{pid}/status").Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z', StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static ulong SignalMask(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return ulong.Parse(line.AsSpan(field.Length).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Daemon_on_is_accepted_with_a_warning_and_stays_in_the_foreground()
    {
        var (dir, process) = await StartAsync("daemon on;\n" + Config);
        using (dir)
        await using (process)
        {
            Assert.Contains("[warn]", process.Stderr, StringComparison.Ordinal);
            Assert.Contains("\"daemon on\" is ignored", process.Stderr, StringComparison.Ordinal);
            Assert.False(process.HasExited);
        }
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
