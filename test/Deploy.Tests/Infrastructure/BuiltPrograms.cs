namespace Deploy.Tests.Infrastructure;

/// <summary>
/// The programs this repository builds, run as the deploy files run them: sluice (src/Sluice.Cli) and
/// StreamApp (samples/StreamApp), each from its own project's output folder (the project references build
/// them), whose deps.json matches the files beside it.
/// </summary>
public static class BuiltPrograms
{
    public static string SluiceDll { get; } = Find("src/Sluice.Cli", "sluice.dll");

    /// <summary>The apphost next to sluice.dll: what an installed Sluice runs as (/opt/sluice/sluice).</summary>
    public static string SluiceExecutable { get; } = Find("src/Sluice.Cli", "sluice");

    public static string StreamAppDll { get; } = Find("samples/StreamApp", "StreamApp.dll");

    /// <summary>The dotnet host running the tests (DOTNET_HOST_PATH), so the programs need no apphost.</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary><c>sluice ARGS</c> to completion.</summary>
    public static Task<ProcessResult> RunSluiceAsync(IEnumerable<string> arguments, string workingDirectory) =>
        ProcessRunner.RunAsync(DotnetHost, ["exec", SluiceDll, .. arguments], workingDirectory);

    /// <summary>PROJECT/bin/&lt;configuration&gt;/&lt;framework&gt;/FILE, the configuration and framework the tests were built with.</summary>
    private static string Find(string project, string file)
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var path = Path.Combine(Repo.Root, project, "bin", here.Parent?.Name ?? "Release", here.Name, file);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is not built (dotnet build {project})");
    }
}
