namespace Sluice.Configuration.Syntax;

/// <summary>
/// Where configuration files come from: the disk, or an in-memory set (a <c>-T</c> dump, a test).
/// Failures are reported the way nginx reports them, as an errno and its text.
/// </summary>
public interface IConfigFileSystem
{
    /// <summary>Reads a whole file, or says why not (<c>2: No such file or directory</c>).</summary>
    ConfigReadResult Read(string path);

    /// <summary>Paths matching a glob pattern (<c>*</c>, <c>?</c>, <c>[…]</c>), sorted as glob(3) sorts them; empty when none match.</summary>
    IReadOnlyList<string> Glob(string pattern);
}

/// <summary>The outcome of <see cref="IConfigFileSystem.Read"/>.</summary>
public readonly record struct ConfigReadResult(byte[]? Content, ConfigReadFailure Failure, int Errno, string ErrorText)
{
    public static ConfigReadResult Ok(byte[] content) => new(content, ConfigReadFailure.None, 0, "");

    public static ConfigReadResult OpenFailed(int errno, string text) => new(null, ConfigReadFailure.Open, errno, text);

    public static ConfigReadResult ReadFailed(int errno, string text) => new(null, ConfigReadFailure.Read, errno, text);
}

/// <summary>Which system call failed: nginx words the two differently.</summary>
public enum ConfigReadFailure
{
    None,
    Open,
    Read,
}
