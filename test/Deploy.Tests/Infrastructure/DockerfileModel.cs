using System.Text.RegularExpressions;

namespace Deploy.Tests.Infrastructure;

/// <summary>
/// What a Dockerfile does with its build context, as far as the checks need: its stages, and in each the
/// COPY (from the context), RUN and ENV instructions in order. Continuation lines are joined, comments dropped.
/// </summary>
public sealed partial class DockerfileModel
{
    private DockerfileModel(IReadOnlyList<Stage> stages) => Stages = stages;

    public IReadOnlyList<Stage> Stages { get; }

    public static DockerfileModel Parse(string text)
    {
        var stages = new List<Stage>();
        Stage? stage = null;
        foreach (var line in Instructions(text))
        {
            var (keyword, rest) = line.IndexOf(' ', StringComparison.Ordinal) is var space and > 0
                ? (line[..space].ToUpperInvariant(), line[(space + 1)..].Trim())
                : (line.ToUpperInvariant(), "");
            if (keyword == "FROM")
            {
                stage = new Stage();
                stages.Add(stage);
                continue;
            }

            Assert.True(stage is not null, $"{keyword} before FROM");
            switch (keyword)
            {
                case "WORKDIR":
                    stage.Workdir = rest.StartsWith('/') ? rest : Path.Combine(stage.Workdir, rest);
                    break;
                case "COPY" or "ADD":
                    var words = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (!words.Any(w => w.StartsWith("--from=", StringComparison.Ordinal)))
                    {
                        var paths = words.Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
                        Assert.True(paths.Count >= 2, $"COPY needs a source and a destination: {line}");
                        stage.Steps.Add(new CopyStep([.. paths.SkipLast(1)], ContainerPath(stage.Workdir, paths[^1]), paths.Count > 2 || paths[^1].EndsWith('/'), stage.Workdir));
                    }

                    break;
                case "RUN":
                    stage.Steps.Add(new RunStep(rest));
                    break;
                case "ENV":
                    foreach (var (name, value) in EnvPairs(rest))
                    {
                        stage.Environment[name] = value;
                    }

                    break;
            }
        }

        return new DockerfileModel(stages);
    }

    /// <summary>One instruction per element: comments and blank lines dropped, backslash continuations joined.</summary>
    private static IEnumerable<string> Instructions(string text)
    {
        var current = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }

            yield return current + line;
            current = "";
        }
    }

    /// <summary>ENV NAME=value … (values without spaces, or in double quotes), or the old ENV NAME value.</summary>
    private static IEnumerable<(string Name, string Value)> EnvPairs(string rest)
    {
        var pairs = EnvPair().Matches(rest);
        if (pairs.Count == 0)
        {
            var space = rest.IndexOf(' ', StringComparison.Ordinal);
            Assert.True(space > 0, $"ENV {rest}");
            return [(rest[..space], rest[(space + 1)..].Trim())];
        }

        return pairs.Select(m => (m.Groups["name"].Value, m.Groups["quoted"].Success ? m.Groups["quoted"].Value : m.Groups["plain"].Value));
    }

    private static string ContainerPath(string workdir, string path) =>
        Path.GetFullPath(path.StartsWith('/') ? path : Path.Combine(workdir, path)).TrimEnd('/');

    [GeneratedRegex("""(?<name>[A-Za-z_][A-Za-z0-9_]*)=(?:"(?<quoted>[^"]*)"|(?<plain>[^\s"]*))""")]
    private static partial Regex EnvPair();

    /// <summary>One FROM … stage.</summary>
    public sealed class Stage
    {
        public string Workdir { get; set; } = "/";

        public List<ImageStep> Steps { get; } = [];

        public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

        /// <summary>The first RUN whose command contains <paramref name="command"/>, and the COPY steps before it.</summary>
        public (RunStep Run, IReadOnlyList<CopyStep> CopiesBefore)? Before(string command)
        {
            var copies = new List<CopyStep>();
            foreach (var step in Steps)
            {
                switch (step)
                {
                    case CopyStep copy:
                        copies.Add(copy);
                        break;
                    case RunStep run when run.Command.Contains(command, StringComparison.Ordinal):
                        return (run, copies);
                }
            }

            return null;
        }
    }

    /// <summary>An instruction that changes the image's files.</summary>
    public abstract record ImageStep;

    public sealed record RunStep(string Command) : ImageStep
    {
        /// <summary>The first argument of <c>dotnet VERB</c> that is neither an option nor an option's value: the project.</summary>
        public string? DotnetTarget(string verb)
        {
            var words = Command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var start = Array.IndexOf(words, verb);
            for (var i = start + 1; start > 0 && words[start - 1] == "dotnet" && i < words.Length && words[i] != "&&"; i++)
            {
                if (words[i] is "-c" or "--configuration" or "-o" or "--output" or "-r" or "--runtime" or "-f" or "--framework" or "-s" or "--source")
                {
                    i++;
                }
                else if (!words[i].StartsWith('-'))
                {
                    return words[i];
                }
            }

            return null;
        }
    }

    /// <summary>COPY sources… destination: sources are relative to the build context; the destination is absolute.</summary>
    public sealed record CopyStep(IReadOnlyList<string> Sources, string Destination, bool DestinationIsDirectory, string Workdir) : ImageStep
    {
        /// <summary>
        /// True when this step puts the context file <paramref name="contextFile"/> (relative, '/'-separated) at
        /// WORKDIR/<paramref name="contextFile"/>, where the project files expect it. A directory source copies its
        /// contents (Docker's rule); a file goes to the destination, or into it when it is a directory.
        /// </summary>
        public bool Places(string contextFile, string contextRoot)
        {
            var wanted = Path.GetFullPath(Path.Combine(Workdir, contextFile));
            foreach (var source in Sources)
            {
                Assert.DoesNotContain('*', source);
                var relative = source.TrimEnd('/') is { Length: > 0 } s && s != "." ? s : "";
                if (Directory.Exists(Path.Combine(contextRoot, relative)))
                {
                    var under = relative.Length == 0 ? contextFile : contextFile.StartsWith(relative + "/", StringComparison.Ordinal) ? contextFile[(relative.Length + 1)..] : null;
                    if (under is not null && Path.GetFullPath(Path.Combine(Destination, under)) == wanted)
                    {
                        return true;
                    }
                }
                else if (relative == contextFile)
                {
                    var landing = DestinationIsDirectory ? Path.Combine(Destination, Path.GetFileName(relative)) : Destination;
                    if (Path.GetFullPath(landing) == wanted)
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }
}
