using System.Text;
using System.Text.RegularExpressions;

namespace Deploy.Tests.Infrastructure;

/// <summary>
/// The repository's .dockerignore: which context paths Docker leaves out of the build context. Patterns in
/// order, <c>!</c> re-includes, <c>**</c> any number of folders, <c>*</c> and <c>?</c> within one name; a
/// pattern that matches a folder leaves out everything in it.
/// </summary>
public sealed class DockerIgnore
{
    private readonly IReadOnlyList<(Regex Pattern, bool Exclude)> _rules;

    private DockerIgnore(IReadOnlyList<(Regex, bool)> rules) => _rules = rules;

    public static DockerIgnore Load(string file) => new(File.ReadAllLines(file)
        .Select(line => line.Trim())
        .Where(line => line.Length > 0 && !line.StartsWith('#'))
        .Select(line => line.StartsWith('!') ? (ToRegex(line[1..]), false) : (ToRegex(line), true))
        .ToList());

    /// <summary>True when <paramref name="path"/> (relative, '/'-separated) is not in the build context.</summary>
    public bool Excludes(string path)
    {
        var prefixes = path.Split('/').Select((_, i) => string.Join('/', path.Split('/').Take(i + 1))).ToList();
        var excluded = false;
        foreach (var (pattern, exclude) in _rules)
        {
            if (prefixes.Any(pattern.IsMatch))
            {
                excluded = exclude;
            }
        }

        return excluded;
    }

    private static Regex ToRegex(string pattern)
    {
        var text = pattern.Trim('/');
        var regex = new StringBuilder("^");
        for (var i = 0; i < text.Length; i++)
        {
            if (text.AsSpan(i).StartsWith("**/"))
            {
                regex.Append("(.*/)?");
                i += 2;
            }
            else if (text.AsSpan(i).StartsWith("**"))
            {
                regex.Append(".*");
                i++;
            }
            else
            {
                regex.Append(text[i] switch { '*' => "[^/]*", '?' => "[^/]", var c => Regex.Escape(c.ToString())});
            }
        }

        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
