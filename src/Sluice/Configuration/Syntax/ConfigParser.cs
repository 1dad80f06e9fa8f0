using System.Collections.Immutable;
using System.Text;

namespace Sluice.Configuration.Syntax;

/// <summary>
/// Builds the syntax tree of an nginx configuration: statements and blocks, with <c>include</c> resolved
/// against the configuration prefix (globs expanded and sorted). Reading stops at the first syntax or I/O
/// error, which is left in the tree at the place it happened; see <see cref="ConfigError"/>.
/// </summary>
public sealed class ConfigParser
{
    /// <summary>nginx has no include depth limit of its own (it runs out of descriptors); ours keeps a self-include finite.</summary>
    internal const int MaxIncludeDepth = 100;

    /// <summary>Deeper nesting than any real configuration; it keeps a hostile file from exhausting the stack later.</summary>
    internal const int MaxBlockDepth = 200;

    private readonly IConfigFileSystem _fileSystem;
    private readonly string _confPrefix;
    private readonly Dictionary<string, ConfigFile> _parsed = new(StringComparer.Ordinal);
    private readonly List<ConfigFile> _opened = [];
    private bool _stopped;

    /// <param name="fileSystem">Where files are read from.</param>
    /// <param name="confPrefix">The directory relative <c>include</c> paths resolve against (nginx's conf prefix), ending in '/'.</param>
    public ConfigParser(IConfigFileSystem fileSystem, string confPrefix)
    {
        _fileSystem = fileSystem;
        _confPrefix = confPrefix;
    }

    /// <summary>Parses the main file (and, first, the <c>-g</c> directives).</summary>
    public ConfigDocument Parse(string mainPath, string? commandLine = null)
    {
        var commandLineNodes = commandLine is null ? [] : ParseCommandLine(commandLine);
        ConfigFile? main = null;
        ConfigError? mainError = null;
        if (!_stopped)
        {
            var read = _fileSystem.Read(mainPath);
            if (read.Content is null)
            {
                mainError = ReadError(mainPath, read, SourceLocation.CommandLine, withLocation: false);
            }
            else
            {
                main = ParseFile(mainPath, read.Content, depth: 0);
            }
        }

        return new ConfigDocument(mainPath, commandLineNodes, main, mainError, [.. _opened]);
    }

    /// <summary>Parses text as a single file (tests, <c>-T</c> dumps).</summary>
    public ConfigFile ParseText(string path, string text) => ParseFile(path, Encoding.UTF8.GetBytes(text), depth: 0);

    private ImmutableArray<ConfigNode> ParseCommandLine(string text)
    {
        var tokenizer = new ConfigTokenizer(Encoding.UTF8.GetBytes(text), isCommandLine: true);
        var words = new List<string>();
        var nodes = ImmutableArray.CreateBuilder<ConfigNode>();
        while (true)
        {
            var end = tokenizer.Next(words);
            switch (end)
            {
                case StatementEnd.EndOfInput:
                    return nodes.ToImmutable();
                case StatementEnd.Error:
                    return Stop(nodes, tokenizer.Error);
                case StatementEnd.BlockEnd:
                    return Stop(nodes, "unexpected \"}\"");
                case StatementEnd.BlockStart:
                    return Stop(nodes, "block directives are not supported in -g option");
                default:
                    nodes.Add(MakeDirective(words, SourceLocation.CommandLine, null, depth: 0));
                    if (_stopped)
                    {
                        return nodes.ToImmutable();
                    }

                    break;
            }
        }
    }

    private ImmutableArray<ConfigNode> Stop(ImmutableArray<ConfigNode>.Builder nodes, string message)
    {
        nodes.Add(new ConfigError(message, SourceLocation.CommandLine));
        _stopped = true;
        return nodes.ToImmutable();
    }

    private ConfigFile ParseFile(string path, byte[] content, int depth)
    {
        _opened.Add(null!); // reserve this file's place in first-open order; filled below
        var slot = _opened.Count - 1;
        var tokenizer = new ConfigTokenizer(content);
        var words = new List<string>();

        // Open blocks, innermost last. Each frame collects the statements of one block.
        var frames = new Stack<BlockFrame>();
        var top = ImmutableArray.CreateBuilder<ConfigNode>();
        var current = top;

        while (!_stopped)
        {
            var end = tokenizer.Next(words);
            if (end == StatementEnd.Error)
            {
                current.Add(new ConfigError(tokenizer.Error, new SourceLocation(path, tokenizer.ErrorLine)));
                _stopped = true;
                break;
            }

            if (end == StatementEnd.EndOfInput)
            {
                if (frames.Count > 0)
                {
                    current.Add(new ConfigError("unexpected end of file, expecting \"}\"", new SourceLocation(path, tokenizer.Line)));
                    _stopped = true;
                }

                break;
            }

            if (end == StatementEnd.BlockEnd)
            {
                if (frames.Count == 0)
                {
                    current.Add(new ConfigError("unexpected \"}\"", new SourceLocation(path, tokenizer.Line)));
                    _stopped = true;
                    break;
                }

                var frame = frames.Pop();
                var closed = new ConfigDirective(frame.Name, frame.Args, frame.Location, current.ToImmutable())
                {
                    BlockEnd = new SourceLocation(path, tokenizer.Line),
                };
                current = frame.Parent;
                current.Add(closed);
                continue;
            }

            var location = new SourceLocation(path, tokenizer.Line);
            if (end == StatementEnd.BlockStart)
            {
                if (frames.Count >= MaxBlockDepth)
                {
                    current.Add(new ConfigError("too deeply nested blocks", location));
                    _stopped = true;
                    break;
                }

                frames.Push(new BlockFrame(words[0], [.. words.Skip(1)], location, current));
                current = ImmutableArray.CreateBuilder<ConfigNode>();
                continue;
            }

            current.Add(MakeDirective(words, location, path, depth));
        }

        // Close whatever the error left open, so the tree still holds everything read before it.
        while (frames.Count > 0)
        {
            var frame = frames.Pop();
            var partial = new ConfigDirective(frame.Name, frame.Args, frame.Location, current.ToImmutable());
            current = frame.Parent;
            current.Add(partial);
        }

        var file = new ConfigFile(path, content, top.ToImmutable());
        _opened[slot] = file;
        return file;
    }

    private ConfigDirective MakeDirective(List<string> words, SourceLocation location, string? path, int depth)
    {
        var name = words[0];
        ImmutableArray<string> args = [.. words.Skip(1)];
        if (name != "include" || args.Length != 1)
        {
            return new ConfigDirective(name, args, location, null);
        }

        var target = ResolvePath(args[0]);
        if (depth >= MaxIncludeDepth)
        {
            _stopped = true;
            return new ConfigDirective(name, args, location, null)
            {
                IncludeError = new ConfigError($"include of \"{target}\" is nested too deeply (more than {MaxIncludeDepth} levels)", location),
            };
        }

        IReadOnlyList<string> paths;
        if (GlobMatcher.HasWildcards(target))
        {
            paths = _fileSystem.Glob(target);
        }
        else
        {
            paths = [target];
        }

        var files = ImmutableArray.CreateBuilder<ConfigFile>();
        foreach (var includePath in paths)
        {
            if (_parsed.TryGetValue(includePath, out var known))
            {
                files.Add(known);
                continue;
            }

            var read = _fileSystem.Read(includePath);
            if (read.Content is null)
            {
                _stopped = true;
                return new ConfigDirective(name, args, location, null)
                {
                    Included = files.ToImmutable(),
                    IncludeError = ReadError(includePath, read, location, withLocation: true),
                };
            }

            var parsed = ParseFile(includePath, read.Content, depth + 1);
            if (!_stopped)
            {
                _parsed[includePath] = parsed;
            }

            files.Add(parsed);
            if (_stopped)
            {
                break;
            }
        }

        return new ConfigDirective(name, args, location, null) { Included = files.ToImmutable() };
    }

    private static ConfigError ReadError(string path, ConfigReadResult read, SourceLocation location, bool withLocation) =>
        read.Failure == ConfigReadFailure.Read
            ? new ConfigError($"pread() \"{path}\" failed ({read.Errno}: {read.ErrorText})", location, ConfigErrorLevel.Crit, withLocation: false)
            : new ConfigError($"open() \"{path}\" failed ({read.Errno}: {read.ErrorText})", location, ConfigErrorLevel.Emerg, withLocation);

    /// <summary>nginx's <c>ngx_conf_full_name</c> for includes: absolute as written, otherwise prefixed by the conf prefix.</summary>
    private string ResolvePath(string name) => name.StartsWith('/') ? name : _confPrefix + name;

    private sealed record BlockFrame(string Name, ImmutableArray<string> Args, SourceLocation Location, ImmutableArray<ConfigNode>.Builder Parent);
}
