using Sluice.Configuration.Syntax;

namespace Sluice.Configuration.Directives;

/// <summary>
/// The body of a block nginx reads with a custom handler (<c>cf-&gt;handler</c>: <c>map</c>, <c>geo</c>,
/// <c>split_clients</c>, <c>types</c>): every statement is data for the block's owner, not a directive. A syntax
/// error stops reading where nginx stops, and a nested block is nginx's <c>unexpected "{"</c>.
/// </summary>
public static class FreeformBlock
{
    /// <summary>Hands each statement of <paramref name="nodes"/> to <paramref name="handle"/>, in order.</summary>
    public static void Read(IEnumerable<ConfigNode> nodes, Action<ConfigDirective> handle)
    {
        foreach (var node in nodes)
        {
            if (node is ConfigError error)
            {
                throw error.ToException();
            }

            var statement = (ConfigDirective)node;
            if (statement.HasBlock)
            {
                throw new ConfigException("unexpected \"{\"", statement.Location);
            }

            handle(statement);
        }
    }

    /// <summary>The statements of the files an <c>include</c> statement named, then its open error if it had one.</summary>
    public static void ReadIncluded(ConfigDirective include, Action<ConfigDirective> handle)
    {
        foreach (var file in include.Included ?? [])
        {
            Read(file.Nodes, handle);
        }

        if (include.IncludeError is { } error)
        {
            throw error.ToException();
        }
    }

    /// <summary>The statement as nginx's argument array: the first word, then the rest.</summary>
    public static IReadOnlyList<string> Words(ConfigDirective statement) => [statement.Name, .. statement.Args];
}
