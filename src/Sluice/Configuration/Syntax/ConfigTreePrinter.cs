using System.Text;

namespace Sluice.Configuration.Syntax;

/// <summary>
/// Renders a syntax tree canonically — every directive with its arguments (quoted), its file:line, its
/// block and the files its includes brought in — so two trees can be compared as text.
/// </summary>
public static class ConfigTreePrinter
{
    public static string Print(ConfigDocument document)
    {
        var sb = new StringBuilder();
        foreach (var node in document.CommandLine)
        {
            Print(sb, node, 0);
        }

        if (document.Main is { } main)
        {
            sb.Append("file ").Append(main.Path).Append('\n');
            foreach (var node in main.Nodes)
            {
                Print(sb, node, 1);
            }
        }

        if (document.MainError is { } error)
        {
            sb.Append("error ").Append(error.Message).Append('\n');
        }

        return sb.ToString();
    }

    private static void Print(StringBuilder sb, ConfigNode node, int depth)
    {
        sb.Append(' ', depth * 2);
        switch (node)
        {
            case ConfigError error:
                sb.Append("error ").Append(error.Message).Append(" @").Append(error.Location).Append('\n');
                return;
            case ConfigDirective directive:
                sb.Append(directive.Name);
                foreach (var arg in directive.Args)
                {
                    sb.Append(" \"").Append(arg.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('"');
                }

                sb.Append(" @").Append(directive.Location);
                if (directive.BlockEnd is { } end)
                {
                    sb.Append("..").Append(end.Line);
                }

                sb.Append('\n');
                foreach (var child in directive.Block ?? [])
                {
                    Print(sb, child, depth + 1);
                }

                foreach (var file in directive.Included ?? [])
                {
                    sb.Append(' ', (depth + 1) * 2).Append("file ").Append(file.Path).Append('\n');
                    foreach (var child in file.Nodes)
                    {
                        Print(sb, child, depth + 2);
                    }
                }

                if (directive.IncludeError is { } includeError)
                {
                    Print(sb, includeError, depth + 1);
                }

                return;
        }
    }
}
