using Sluice.Configuration.Syntax;

namespace Sluice.Tests.Configuration.Syntax;

public sealed class ConfigParserTests
{
    private const string Conf = "/p/conf/";

    private static ConfigDocument Parse(string main, params (string Path, string Text)[] files)
    {
        var fs = new InMemoryConfigFileSystem().Add(Conf + "main.conf", main);
        foreach (var (path, text) in files)
        {
            fs.Add(Conf + path, text);
        }

        return new ConfigParser(fs, Conf).Parse(Conf + "main.conf");
    }

    [Fact]
    public void Builds_blocks_with_locations()
    {
        var doc = Parse("events {\n  worker_connections 10;\n}\n");
        var events = Assert.IsType<ConfigDirective>(Assert.Single(doc.Main!.Nodes));
        Assert.Equal("events", events.Name);
        Assert.Equal(1, events.Location.Line);
        Assert.Equal(3, events.BlockEnd!.Value.Line);
        var inner = Assert.IsType<ConfigDirective>(Assert.Single(events.Block!.Value));
        Assert.Equal(["10"], inner.Args.ToArray());
        Assert.Equal(new SourceLocation(Conf + "main.conf", 2), inner.Location);
    }

    [Fact]
    public void Includes_are_resolved_against_the_conf_prefix_and_sorted()
    {
        var doc = Parse("include conf.d/*.conf;", ("conf.d/b.conf", "b;"), ("conf.d/a.conf", "a;"), ("conf.d/.hidden.conf", "h;"), ("conf.d/c.txt", "c;"));
        var include = Assert.IsType<ConfigDirective>(Assert.Single(doc.Main!.Nodes));
        Assert.Equal([Conf + "conf.d/a.conf", Conf + "conf.d/b.conf"], include.Included!.Value.Select(f => f.Path));
        Assert.Equal([Conf + "main.conf", Conf + "conf.d/a.conf", Conf + "conf.d/b.conf"], doc.Files.Select(f => f.Path));
    }

    [Fact]
    public void A_glob_without_matches_is_empty_but_a_missing_file_is_an_error()
    {
        var glob = Parse("include none/*.conf;");
        Assert.Empty(((ConfigDirective)glob.Main!.Nodes[0]).Included!.Value);

        var missing = Parse("include missing.conf;");
        var error = ((ConfigDirective)missing.Main!.Nodes[0]).IncludeError!;
        Assert.Equal($"open() \"{Conf}missing.conf\" failed (2: No such file or directory)", error.Message);
        Assert.Equal(1, error.Location.Line);
    }

    [Fact]
    public void An_error_stops_parsing_and_stays_in_place()
    {
        var doc = Parse("a;\nhttp {\n  b;\n  c \"x\"y;\n  d;\n}\ne;");
        var http = (ConfigDirective)doc.Main!.Nodes[1];
        var error = Assert.IsType<ConfigError>(http.Block!.Value[^1]);
        Assert.Equal("unexpected \"y\"", error.Message);
        Assert.Equal(4, error.Location.Line);
        Assert.Equal(2, doc.Main.Nodes.Length);
    }

    [Fact]
    public void End_of_file_inside_a_block_names_the_last_line()
    {
        var doc = Parse("http {\n  a;\n");
        var error = Assert.IsType<ConfigError>(((ConfigDirective)doc.Main!.Nodes[0]).Block!.Value[^1]);
        Assert.Equal("unexpected end of file, expecting \"}\"", error.Message);
        Assert.Equal(3, error.Location.Line);
    }

    [Fact]
    public void A_closing_brace_at_the_top_of_an_included_file_is_unexpected()
    {
        var doc = Parse("http { include x.conf; }", ("x.conf", "a;\n}\n"));
        var include = (ConfigDirective)((ConfigDirective)doc.Main!.Nodes[0]).Block!.Value[0];
        var error = Assert.IsType<ConfigError>(include.Included!.Value[0].Nodes[^1]);
        Assert.Equal("unexpected \"}\"", error.Message);
        Assert.Equal(new SourceLocation(Conf + "x.conf", 2), error.Location);
    }

    [Fact]
    public void A_self_include_ends_with_an_error_instead_of_recursing_forever()
    {
        var doc = Parse("include main.conf;");
        var depth = 0;
        var node = (ConfigDirective)doc.Main!.Nodes[0];
        while (node.Included is { Length: > 0 } files && files[0].Nodes.Length > 0)
        {
            node = (ConfigDirective)files[0].Nodes[0];
            depth++;
        }

        Assert.True(depth <= ConfigParser.MaxIncludeDepth);
        Assert.NotNull(node.IncludeError);
    }

    [Fact]
    public void Command_line_directives_come_first_and_reject_blocks()
    {
        var fs = new InMemoryConfigFileSystem().Add(Conf + "main.conf", "events {}");
        var ok = new ConfigParser(fs, Conf).Parse(Conf + "main.conf", "daemon off; pid x.pid;");
        Assert.Equal(["daemon", "pid"], ok.CommandLine.Cast<ConfigDirective>().Select(d => d.Name));
        Assert.True(ok.CommandLine[0].Location.IsCommandLine);

        var block = new ConfigParser(fs, Conf).Parse(Conf + "main.conf", "events {}");
        Assert.Equal("block directives are not supported in -g option", Assert.IsType<ConfigError>(block.CommandLine[0]).Message);
    }

    [Fact]
    public void A_missing_main_file_is_reported_without_location()
    {
        var doc = new ConfigParser(new InMemoryConfigFileSystem(), Conf).Parse(Conf + "none.conf");
        Assert.Null(doc.Main);
        Assert.False(doc.MainError!.WithLocation);
        Assert.Equal($"open() \"{Conf}none.conf\" failed (2: No such file or directory)", doc.MainError.Message);
    }
}
