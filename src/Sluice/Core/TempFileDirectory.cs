using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Sluice.Configuration;
using Sluice.Configuration.Directives;

namespace Sluice.Core;

/// <summary>
/// A directory of temporary files (<c>client_body_temp_path</c>, <c>proxy_temp_path</c>), named as nginx names
/// them: ten-digit numbers counted from 1, spread over the hash levels as nginx spreads them (levels
/// <c>1 2</c>: <c>3/12/0000000123</c>). A file is unlinked as soon as it is open, as nginx does with the temp
/// files it cleans: it lives as long as its handle, so nothing is left behind however the process ends.
/// Missing directories are made on first use (nginx's <c>ngx_create_full_path</c> on ENOENT).
/// </summary>
public sealed class TempFileDirectory
{
    private static long _lastNumber;

    public TempFileDirectory(string path, ImmutableArray<int> levels)
    {
        Path = path.EndsWith('/') && path.Length > 1 ? path[..^1] : path;
        Levels = levels.IsDefault ? [] : levels;
    }

    /// <summary>The directory, absolute.</summary>
    public string Path { get; }

    public ImmutableArray<int> Levels { get; }

    /// <summary>The directory a temp-path directive names, or nginx's default name under the prefix when it is not set.</summary>
    public static TempFileDirectory From(TempPathSpec? spec, string defaultName, ConfigEnvironment environment) =>
        spec is null
            ? new TempFileDirectory(environment.FullPath(defaultName), [])
            : new TempFileDirectory(environment.FullPath(spec.Path), spec.Levels);

    /// <summary>
    /// Creates a new file, open for reading and writing and already unlinked; <paramref name="name"/> is the
    /// path it had (for nginx's log lines). Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>
    /// as open(2) fails. Touches the disk: call it off the socket threads.
    /// </summary>
    public SafeFileHandle Create(out string name)
    {
        name = FileName(Interlocked.Increment(ref _lastNumber));
        var madeDirectories = false;
        while (true)
        {
            SafeFileHandle handle;
            try
            {
                handle = File.OpenHandle(name, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite);
            }
            catch (DirectoryNotFoundException) when (!madeDirectories)
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(name)!);
                madeDirectories = true;
                continue;
            }
            catch (IOException) when (File.Exists(name))
            {
                // Left by another process using the same directory: take the next number.
                name = FileName(Interlocked.Increment(ref _lastNumber));
                madeDirectories = false;
                continue;
            }

            File.Delete(name);
            return handle;
        }
    }

    /// <summary>The path of temp file number <paramref name="number"/>, with its hash-level directories.</summary>
    public string FileName(long number)
    {
        var file = (number % 10_000_000_000).ToString("D10", CultureInfo.InvariantCulture);
        if (Levels.Length == 0)
        {
            return Path + "/" + file;
        }

        // nginx takes each level's characters from the end of the name, the first level last.
        var path = new System.Text.StringBuilder(Path);
        var end = file.Length;
        foreach (var level in Levels)
        {
            end -= level;
            path.Append('/').Append(file, end, level);
        }

        return path.Append('/').Append(file).ToString();
    }
}
