using System.Diagnostics;
using System.Text;

namespace Deploy.Tests.Infrastructure;

/// <summary>The outcome of running a program to completion.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs real programs (promtool, keepalived, nginx, docker-compose) with a time limit; a hang fails the test.</summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null,
        TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repo.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish in time");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>The repository the tests run in, and the deploy/ files under test.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Deploy(params string[] parts) => Path.Combine([Root, "deploy", .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sluice.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Sluice.slnx above {AppContext.BaseDirectory}");
    }
}

/// <summary>
/// The programs the deploy files are checked with. A missing one fails the test (never skips it):
/// ./test.sh installs them (Debian packages prometheus, keepalived, docker-compose, nginx, openssl, curl, procps).
/// </summary>
public static class Tools
{
    public static string Promtool => Find("promtool", "prometheus");

    public static string Prometheus => Find("prometheus", "prometheus");

    public static string Keepalived => Find("keepalived", "keepalived");

    public static string DockerCompose => Find("docker-compose", "docker-compose");

    public static string Nginx => Find("nginx", "nginx");

    public static string Openssl => Find("openssl", "openssl");

    /// <summary>systemd's unit checker; null on a machine without systemd (a container), where the unit test is skipped.</summary>
    public static string? SystemdAnalyze => TryFind("systemd-analyze");

    public static bool IsRoot => Environment.UserName == "root";

    private static string Find(string name, string package) =>
        TryFind(name) ?? throw new InvalidOperationException($"{name} is not installed (Debian package {package}); ./test.sh installs it");

    private static string? TryFind(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"])
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}

/// <summary>A directory under /tmp removed when the test is done.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string label)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{label}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public string Write(string relative, string content)
    {
        var full = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content, new UTF8Encoding(false));
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Text edits on copies of the deploy files that fail loudly when the text they expect is gone.</summary>
public static class Edit
{
    public static string Replace(string text, string oldValue, string newValue, string file)
    {
        Assert.True(text.Contains(oldValue, StringComparison.Ordinal), $"{file} no longer contains \"{oldValue}\"; update the test's substitution");
        return text.Replace(oldValue, newValue, StringComparison.Ordinal);
    }
}
