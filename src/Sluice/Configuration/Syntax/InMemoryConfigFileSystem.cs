using System.Text;

namespace Sluice.Configuration.Syntax;

/// <summary>Configuration files held in memory: for tests, and for reading a <c>-T</c> dump back.</summary>
public sealed class InMemoryConfigFileSystem : IConfigFileSystem
{
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    public InMemoryConfigFileSystem Add(string path, string text) => Add(path, Encoding.UTF8.GetBytes(text));

    public InMemoryConfigFileSystem Add(string path, byte[] content)
    {
        _files[path] = content;
        return this;
    }

    public IReadOnlyCollection<string> Paths => _files.Keys;

    public ConfigReadResult Read(string path) =>
        _files.TryGetValue(path, out var content)
            ? ConfigReadResult.Ok(content)
            : _files.Keys.Any(k => k.StartsWith(path.TrimEnd('/') + "/", StringComparison.Ordinal))
                ? ConfigReadResult.ReadFailed(21, "Is a directory")
                : ConfigReadResult.OpenFailed(2, "No such file or directory");

    public IReadOnlyList<string> Glob(string pattern)
    {
        var patternSegments = pattern.Split('/');
        return _files.Keys
            .Where(path =>
            {
                var segments = path.Split('/');
                if (segments.Length != patternSegments.Length)
                {
                    return false;
                }

                for (var i = 0; i < segments.Length; i++)
                {
                    var p = patternSegments[i];
                    if (segments[i].StartsWith('.') && !p.StartsWith('.') && GlobMatcher.HasWildcards(p))
                    {
                        return false;
                    }

                    if (!GlobMatcher.Matches(p, segments[i]))
                    {
                        return false;
                    }
                }

                return true;
            })
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
