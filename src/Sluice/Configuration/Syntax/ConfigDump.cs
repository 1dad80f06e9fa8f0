using System.Text;

namespace Sluice.Configuration.Syntax;

/// <summary>
/// The <c>-T</c> dump: each file once, in the order it was first read, as
/// <c># configuration file PATH:</c>, the file's bytes unchanged, and a newline — nginx's exact layout.
/// <see cref="Read"/> turns a dump back into files, so a configuration sent as <c>-T</c> output can be
/// loaded and checked elsewhere. (Like nginx's, the format cannot tell a header from a file line that
/// happens to read exactly like one.)
/// </summary>
public static class ConfigDump
{
    private const string HeaderStart = "# configuration file ";

    public static byte[] Write(IEnumerable<ConfigFile> files)
    {
        using var output = new MemoryStream();
        foreach (var file in files)
        {
            output.Write(Encoding.UTF8.GetBytes($"{HeaderStart}{file.Path}:\n"));
            output.Write(file.Content);
            output.WriteByte((byte)'\n');
        }

        return output.ToArray();
    }

    /// <summary>The files of a dump; the first one is the main file.</summary>
    public static IReadOnlyList<(string Path, byte[] Content)> Read(byte[] dump)
    {
        var files = new List<(string, byte[])>();
        string? path = null;
        var start = 0;
        var lineStart = 0;
        while (lineStart < dump.Length)
        {
            var newline = Array.IndexOf(dump, (byte)'\n', lineStart);
            var lineEnd = newline < 0 ? dump.Length : newline;
            var line = dump.AsSpan(lineStart, lineEnd - lineStart);
            if (IsHeader(line, out var headerPath))
            {
                if (path is not null)
                {
                    files.Add((path, Section(dump, start, lineStart)));
                }

                path = headerPath;
                start = newline < 0 ? dump.Length : newline + 1;
            }

            lineStart = newline < 0 ? dump.Length : newline + 1;
        }

        if (path is not null)
        {
            files.Add((path, Section(dump, start, dump.Length)));
        }

        return files;
    }

    /// <summary>A file's bytes: everything up to the next header, less the newline the dump appended.</summary>
    private static byte[] Section(byte[] dump, int start, int end)
    {
        if (end > start && dump[end - 1] == '\n')
        {
            end--;
        }

        return dump[start..end];
    }

    private static bool IsHeader(ReadOnlySpan<byte> line, out string path)
    {
        path = "";
        var text = Encoding.UTF8.GetString(line);
        if (!text.StartsWith(HeaderStart, StringComparison.Ordinal) || !text.EndsWith(':') || text.Length <= HeaderStart.Length + 1)
        {
            return false;
        }

        path = text[HeaderStart.Length..^1];
        return path.StartsWith('/');
    }

    /// <summary>An in-memory file system holding a dump's files, for parsing it back.</summary>
    public static InMemoryConfigFileSystem ToFileSystem(IReadOnlyList<(string Path, byte[] Content)> files)
    {
        var fs = new InMemoryConfigFileSystem();
        foreach (var (path, content) in files)
        {
            fs.Add(path, content);
        }

        return fs;
    }
}
