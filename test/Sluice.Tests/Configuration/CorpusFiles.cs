using Sluice.Configuration.Syntax;

namespace Sluice.Tests.Configuration;

/// <summary>The nginx.conf corpus of the functional tests, loaded into memory for robustness tests.</summary>
public static class CorpusFiles
{
    public static string Directory { get; } = Find();

    /// <summary>Main files of the valid corpus: (name, text).</summary>
    public static IReadOnlyList<(string Name, string Text)> Valid { get; } =
        [.. System.IO.Directory.GetFiles(Path.Combine(Directory, "valid"), "*.conf").Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), File.ReadAllText(f)))];

    /// <summary>An in-memory file system laid out as the corpus README says, with <paramref name="mainText"/> as the main file.</summary>
    public static InMemoryConfigFileSystem FileSystem(string mainText)
    {
        var fs = new InMemoryConfigFileSystem().Add(ConfigTestHelper.MainPath, mainText);
        foreach (var (path, content) in IncludeTargets)
        {
            fs.Add(path, content);
        }

        return fs;
    }

    /// <summary>The corpus's include folders (read once) and a small mime.types.</summary>
    private static readonly IReadOnlyList<(string Path, byte[] Content)> IncludeTargets = ReadIncludeTargets();

    private static List<(string, byte[])> ReadIncludeTargets()
    {
        var files = new List<(string, byte[])>();
        foreach (var dir in System.IO.Directory.GetDirectories(Directory))
        {
            var name = Path.GetFileName(dir);
            if (name is "valid" or "invalid")
            {
                continue;
            }

            foreach (var file in System.IO.Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
            {
                files.Add((ConfigTestHelper.Prefix + "conf/" + Path.GetRelativePath(Directory, file), File.ReadAllBytes(file)));
            }
        }

        files.Add((ConfigTestHelper.Prefix + "conf/mime.types", "types {\n    text/html html htm;\n    application/json json;\n    image/png png;\n}\n"u8.ToArray()));
        return files;
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "test", "Sluice.FunctionalTests", "Corpus");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("corpus not found");
    }
}
