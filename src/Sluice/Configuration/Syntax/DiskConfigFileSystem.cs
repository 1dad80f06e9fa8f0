namespace Sluice.Configuration.Syntax;

/// <summary>Reads configuration files from disk, mapping .NET exceptions to the errno nginx would print.</summary>
public sealed class DiskConfigFileSystem : IConfigFileSystem
{
    public static DiskConfigFileSystem Instance { get; } = new();

    public ConfigReadResult Read(string path)
    {
        if (Directory.Exists(path))
        {
            // open(2) succeeds on a directory; nginx then fails on the read.
            return ConfigReadResult.ReadFailed(21, "Is a directory");
        }

        try
        {
            return ConfigReadResult.Ok(File.ReadAllBytes(path));
        }
        catch (FileNotFoundException)
        {
            return ConfigReadResult.OpenFailed(2, "No such file or directory");
        }
        catch (DirectoryNotFoundException)
        {
            return NotFoundOrNotDirectory(path);
        }
        catch (UnauthorizedAccessException)
        {
            return ConfigReadResult.OpenFailed(13, "Permission denied");
        }
        catch (PathTooLongException)
        {
            return ConfigReadResult.OpenFailed(36, "File name too long");
        }
        catch (IOException e)
        {
            return ConfigReadResult.OpenFailed(5, e.Message);
        }
    }

    public IReadOnlyList<string> Glob(string pattern) => GlobMatcher.Expand(pattern);

    private static ConfigReadResult NotFoundOrNotDirectory(string path)
    {
        // A path such as "file.conf/x" fails with ENOTDIR rather than ENOENT.
        var dir = Path.GetDirectoryName(path);
        while (!string.IsNullOrEmpty(dir))
        {
            if (File.Exists(dir))
            {
                return ConfigReadResult.OpenFailed(20, "Not a directory");
            }

            dir = Path.GetDirectoryName(dir);
        }

        return ConfigReadResult.OpenFailed(2, "No such file or directory");
    }
}
