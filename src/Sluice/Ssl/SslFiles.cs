using Sluice.Hosting;

namespace Sluice.Ssl;

/// <summary>A file as <c>fopen</c>/<c>open</c> sees it: its bytes, or the errno nginx would print.</summary>
internal readonly record struct SslFileContent(byte[]? Bytes, int Errno, string ErrorText)
{
    public bool Ok => Bytes is not null;
}

/// <summary>Reads the files a TLS configuration names (certificates, keys, CA lists, ticket keys).</summary>
internal static class SslFiles
{
    /// <summary>
    /// Reads a whole file. A directory opens (as with <c>fopen</c>) and reads as empty, which OpenSSL then reports
    /// as "no start line".
    /// </summary>
    public static SslFileContent Read(string path)
    {
        if (Directory.Exists(path))
        {
            return new SslFileContent([], 0, "");
        }

        try
        {
            return new SslFileContent(File.ReadAllBytes(path), 0, "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var (errno, text) = Errno.From(e);
            return new SslFileContent(null, errno, text);
        }
    }
}
