using System.Xml.Linq;

namespace Deploy.Tests.Infrastructure;

/// <summary>
/// The files of the repository that <c>dotnet restore</c> and <c>dotnet publish</c> of one project read: the
/// project and every project it references, directly or not; the build files MSBuild and the SDK pick up from
/// their folders and above (Directory.Build.props, Directory.Packages.props, global.json …); and each
/// project's sources (everything in its folder but bin/ and obj/). Paths are relative to the repository, '/'-separated.
/// </summary>
public sealed class ProjectClosure
{
    private static readonly string[] BuildFiles =
        ["Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "NuGet.config", "nuget.config"];

    private ProjectClosure(IReadOnlyList<string> projects, IReadOnlyList<string> buildFiles)
    {
        Projects = projects;
        BuildFilesRead = buildFiles;
    }

    /// <summary>The project files, the given one first.</summary>
    public IReadOnlyList<string> Projects { get; }

    public IReadOnlyList<string> BuildFilesRead { get; }

    /// <summary>What restore reads: the project files and the build files.</summary>
    public IEnumerable<string> RestoreInputs => Projects.Concat(BuildFilesRead);

    /// <summary>What publish reads besides: every file in each project's folder but bin/ and obj/.</summary>
    public IEnumerable<string> Sources => Projects
        .Select(p => Path.GetDirectoryName(p)!)
        .SelectMany(dir => Directory.EnumerateFiles(Path.Combine(Repo.Root, dir), "*", SearchOption.AllDirectories))
        .Select(Relative)
        .Where(file => !file.Split('/').Any(segment => segment is "bin" or "obj"));

    /// <param name="project">A project file, or its folder, relative to the repository.</param>
    public static ProjectClosure Of(string project)
    {
        var start = project.EndsWith(".csproj", StringComparison.Ordinal)
            ? project
            : Directory.GetFiles(Path.Combine(Repo.Root, project), "*.csproj").Select(Relative).Single();
        var projects = new List<string>();
        var pending = new Queue<string>([start]);
        while (pending.TryDequeue(out var next))
        {
            if (projects.Contains(next))
            {
                continue;
            }

            Assert.True(File.Exists(Path.Combine(Repo.Root, next)), $"{next} does not exist");
            projects.Add(next);
            var folder = Path.GetDirectoryName(Path.Combine(Repo.Root, next))!;
            foreach (var reference in XDocument.Load(Path.Combine(Repo.Root, next)).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                pending.Enqueue(Relative(Path.GetFullPath(Path.Combine(folder, include))));
            }
        }

        var buildFiles = projects
            .SelectMany(p => Ancestors(Path.GetDirectoryName(p)!))
            .SelectMany(dir => BuildFiles.Select(name => dir.Length == 0 ? name : dir + "/" + name))
            .Where(file => File.Exists(Path.Combine(Repo.Root, file)))
            .Distinct()
            .ToList();
        return new ProjectClosure(projects, buildFiles);
    }

    /// <summary>The folder and each one above it up to the repository root ("").</summary>
    private static IEnumerable<string> Ancestors(string dir)
    {
        for (var current = dir; ; current = Path.GetDirectoryName(current) ?? "")
        {
            yield return current;
            if (current.Length == 0)
            {
                yield break;
            }
        }
    }

    private static string Relative(string path) => Path.GetRelativePath(Repo.Root, path).Replace('\\', '/');
}
