using System.Text;
using Sluice.Configuration.Directives;

namespace Sluice.Configuration;

/// <summary>
/// The directive reference of <c>docs/directives.md</c>, generated from the directive table so the
/// documentation cannot drift from what the code accepts (a test compares the two).
/// </summary>
public static class DirectiveReference
{
    public static string Markdown(DirectiveTable table)
    {
        var sb = new StringBuilder();
        sb.Append("# Directive reference\n\n");
        sb.Append("Generated from Sluice's directive table (`dotnet test` fails when this file is out of date; regenerate with\n");
        sb.Append("`SLUICE_UPDATE_DOCS=1 dotnet test test/Sluice.Tests --filter DirectiveReferenceTests`).\n\n");
        sb.Append("Every directive below is parsed and validated exactly as nginx 1.22 does — same contexts, same argument\n");
        sb.Append("counts, same error messages with file and line. The status column says what Sluice does with it:\n\n");
        sb.Append("- **yes** — implemented.\n");
        sb.Append("- **accepted** — validated, deliberately without effect in Sluice (process and OS tuning that has no\n  meaning for a single .NET process); see the notes in [configuration.md](configuration.md).\n");
        sb.Append("- **not yet** — validated, but its runtime is not built yet: `sluice -t` and startup fail with\n  `[emerg] \"x\" directive is not implemented yet in FILE:LINE` rather than ignore it.\n\n");

        var counts = table.All.GroupBy(s => s.Support).ToDictionary(g => g.Key, g => g.Count());
        sb.Append($"Totals: {counts.GetValueOrDefault(DirectiveSupport.Implemented)} implemented, {counts.GetValueOrDefault(DirectiveSupport.Accepted)} accepted, {counts.GetValueOrDefault(DirectiveSupport.NotImplemented)} not yet.\n\n");

        foreach (var module in table.All.GroupBy(s => s.Module).OrderBy(g => ModuleOrder(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.Append("## ").Append(module.Key.Length == 0 ? "other" : module.Key).Append("\n\n");
            sb.Append("| Directive | Contexts | Arguments | Status |\n|---|---|---|---|\n");
            foreach (var spec in module.OrderBy(s => s.Name, StringComparer.Ordinal).ThenBy(s => (int)s.Contexts))
            {
                sb.Append("| `").Append(spec.Name).Append("` | ").Append(Contexts(spec.Contexts)).Append(" | ").Append(Arity(spec.Arity)).Append(" | ")
                  .Append(spec.Support switch { DirectiveSupport.Implemented => "yes", DirectiveSupport.Accepted => "accepted", _ => "not yet" }).Append(" |\n");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static int ModuleOrder(string module) => module switch
    {
        "core" => 0,
        "events" => 1,
        "http_core" => 2,
        _ => 3,
    };

    private static string Contexts(DirectiveContext contexts)
    {
        if (contexts == DirectiveContext.Any)
        {
            return "any";
        }

        var names = new List<string>();
        void Add(DirectiveContext flag, string name)
        {
            if ((contexts & flag) != 0)
            {
                names.Add(name);
            }
        }

        Add(DirectiveContext.Main, "main");
        Add(DirectiveContext.Events, "events");
        Add(DirectiveContext.Http, "http");
        Add(DirectiveContext.Server, "server");
        Add(DirectiveContext.Location, "location");
        Add(DirectiveContext.Upstream, "upstream");
        Add(DirectiveContext.ServerIf, "server if");
        Add(DirectiveContext.LocationIf, "location if");
        Add(DirectiveContext.LimitExcept, "limit_except");
        return string.Join(", ", names);
    }

    private static string Arity(DirectiveArity arity)
    {
        var parts = new List<string>();
        if ((arity & DirectiveArity.Block) != 0)
        {
            parts.Add("block");
        }

        if ((arity & DirectiveArity.Flag) != 0)
        {
            parts.Add("on \\| off");
        }

        if ((arity & DirectiveArity.Any) != 0)
        {
            parts.Add("any");
        }

        if ((arity & DirectiveArity.OneOrMore) != 0)
        {
            parts.Add("1 or more");
        }

        if ((arity & DirectiveArity.TwoOrMore) != 0)
        {
            parts.Add("2 or more");
        }

        var counts = Enumerable.Range(0, 8).Where(n => ((int)arity & (1 << n)) != 0).ToList();
        if (counts.Count > 0)
        {
            parts.Add(string.Join(" or ", counts));
        }

        return string.Join(", ", parts);
    }
}
