namespace Sluice.Core;

/// <summary>
/// The files a configuration writes to (error and access logs), in the order nginx would open them. At
/// activation each is opened for append (created if missing), as <c>nginx -t</c> does, so a missing
/// directory is reported before the configuration is accepted.
/// </summary>
public sealed class OpenFileRegistry
{
    private readonly List<string> _paths = [];

    public IReadOnlyList<string> Paths => _paths;

    public void Add(string fullPath)
    {
        if (!_paths.Contains(fullPath, StringComparer.Ordinal))
        {
            _paths.Add(fullPath);
        }
    }
}
