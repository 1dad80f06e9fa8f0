using System.Diagnostics;
using System.Text;

namespace Sluice.FunctionalTests.Infrastructure;

/// <summary>The outcome of running a program to completion.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs real programs (nginx, sluice, openssl) with a time limit; a hang fails the test instead of stalling CI.</summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in time");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>Where the programs under test and the reference programs are.</summary>
public static class Tools
{
    /// <summary>
    /// The sluice executable in Sluice.Cli's own output folder (the project reference builds it), whose
    /// deps.json matches the files beside it; the copy next to the tests can lack the app-local packages
    /// the demo's StreamApp brings, as this project resolves them against the shared framework.
    /// </summary>
    public static string SluiceDll { get; } = FindSluiceDll();

    private static string FindSluiceDll()
    {
        // bin/<Configuration>/<tfm>/ of this project → src/Sluice.Cli/bin/<Configuration>/<tfm>/sluice.dll.
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var framework = here.Name;
        var configuration = here.Parent?.Name;
        for (var dir = here.Parent; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Sluice.Cli", "bin", configuration ?? "Release", framework, "sluice.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "sluice.dll");
    }

    /// <summary>Runs sluice through the dotnet host, so the tests do not depend on the apphost.</summary>
    public static Task<ProcessResult> RunSluiceAsync(IEnumerable<string> arguments, TimeSpan? timeout = null, string? workingDirectory = null) =>
        ProcessRunner.RunAsync(DotnetHost, ["exec", SluiceDll, .. arguments], timeout, workingDirectory);

    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>The real nginx, the oracle. Tests that need it fail (not skip) when it is missing: the test command installs it.</summary>
    public static string Nginx => FindOnPath("nginx", ["/usr/sbin/nginx", "/usr/local/sbin/nginx"])
        ?? throw new InvalidOperationException("nginx is not installed; run the README's test command, which installs it");

    public static string? FindOnPath(string name, IEnumerable<string> extra)
    {
        foreach (var candidate in extra)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}

/// <summary>A directory under /tmp removed when the test is done.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string label = "sluice")
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
