using System.Text;
using Sluice.Configuration.Syntax;

namespace Sluice.Tests.Configuration.Syntax;

/// <summary>The tokenizer against behaviours observed on nginx 1.22 (each case was run through the real nginx).</summary>
public sealed class ConfigTokenizerTests
{
    private static List<(StatementEnd End, string[] Words, int Line)> Tokenize(string text, bool commandLine = false)
    {
        var tokenizer = new ConfigTokenizer(Encoding.UTF8.GetBytes(text), commandLine);
        var words = new List<string>();
        var result = new List<(StatementEnd, string[], int)>();
        while (true)
        {
            var end = tokenizer.Next(words);
            result.Add((end, words.ToArray(), end == StatementEnd.Error ? tokenizer.ErrorLine : tokenizer.Line));
            if (end is StatementEnd.EndOfInput or StatementEnd.Error)
            {
                return result;
            }
        }
    }

    private static string ErrorOf(string text, bool commandLine = false)
    {
        var tokenizer = new ConfigTokenizer(Encoding.UTF8.GetBytes(text), commandLine);
        var words = new List<string>();
        StatementEnd end;
        do
        {
            end = tokenizer.Next(words);
        }
        while (end is not (StatementEnd.Error or StatementEnd.EndOfInput));

        return end == StatementEnd.Error ? $"{tokenizer.Error}:{tokenizer.ErrorLine}" : "";
    }

    [Fact]
    public void Splits_words_and_statements()
    {
        var tokens = Tokenize("worker_processes  auto;\nevents {\n}\n");
        Assert.Equal(StatementEnd.Semicolon, tokens[0].End);
        Assert.Equal(["worker_processes", "auto"], tokens[0].Words);
        Assert.Equal(StatementEnd.BlockStart, tokens[1].End);
        Assert.Equal(["events"], tokens[1].Words);
        Assert.Equal(2, tokens[1].Line);
        Assert.Equal(StatementEnd.BlockEnd, tokens[2].End);
        Assert.Equal(3, tokens[2].Line);
        Assert.Equal(StatementEnd.EndOfInput, tokens[3].End);
    }

    [Theory]
    [InlineData("a \"b c\";", "b c")]
    [InlineData("a 'b c';", "b c")]
    [InlineData("a \"b\\\"c\";", "b\"c")]
    [InlineData("a 'b\\'c';", "b'c")]
    [InlineData("a b\\\\c;", "b\\c")]
    [InlineData("a \"t\\tn\\nr\\r\";", "t\tn\nr\r")]
    [InlineData("a b\\x;", "b\\x")]
    [InlineData("a b\\$c;", "b\\$c")]
    [InlineData("a ${var}text;", "${var}text")]
    [InlineData("a \"\";", "")]
    [InlineData("a b#c;", "b#c")]
    [InlineData("a b}c;", "b}c")]
    [InlineData("a \"x y\")  ;", "x y")]
    public void Resolves_quotes_and_escapes_like_nginx(string text, string second)
    {
        var tokens = Tokenize(text);
        Assert.Equal(StatementEnd.Semicolon, tokens[0].End);
        Assert.Equal(second, tokens[0].Words[1]);
    }

    [Fact]
    public void Quoted_newlines_count_lines()
    {
        var tokens = Tokenize("a 'x\ny\nz';\nb;");
        Assert.Equal("x\ny\nz", tokens[0].Words[1]);
        Assert.Equal(3, tokens[0].Line);
        Assert.Equal(4, tokens[1].Line);
    }

    [Fact]
    public void Comments_run_to_end_of_line()
    {
        var tokens = Tokenize("# comment ; {\na; # trailing }\n");
        Assert.Equal(["a"], tokens[0].Words);
        Assert.Equal(StatementEnd.EndOfInput, tokens[1].End);
    }

    [Fact]
    public void A_statement_reports_the_line_of_its_terminator()
    {
        var tokens = Tokenize("proxy_set_header\n  Host\n  $host\n;");
        Assert.Equal(4, tokens[0].Line);
    }

    [Theory]
    [InlineData("a \"b\"c;", "unexpected \"c\":1")]
    [InlineData("a;\n;", "unexpected \";\":2")]
    [InlineData("{", "unexpected \"{\":1")]
    [InlineData("a b }", "unexpected \"}\":1")]
    [InlineData("a b", "unexpected end of file, expecting \";\" or \"}\":1")]
    [InlineData("a \"b\n\n", "unexpected end of file, expecting \";\" or \"}\":3")]
    [InlineData("a", "unexpected end of file, expecting \";\" or \"}\":1")]
    public void Syntax_errors_match_nginx(string text, string expected) => Assert.Equal(expected, ErrorOf(text));

    [Fact]
    public void Command_line_end_is_worded_as_nginx_does()
    {
        Assert.Equal("unexpected end of parameter, expecting \";\":1", ErrorOf("daemon off", commandLine: true));
    }

    [Fact]
    public void A_word_that_fills_nginx_buffer_is_too_long()
    {
        Assert.Equal("too long parameter \"axxxxxxxxx...\" started:1", ErrorOf("a" + new string('x', 4095) + ";"));
        Assert.Equal("unexpected end of file, expecting \";\" or \"}\":1", ErrorOf("a" + new string('x', 4095)));
        Assert.Equal("too long parameter \"#xxxxxxxxx...\" started:2", ErrorOf("events {}\n#" + new string('x', 5000) + "\n"));
        Assert.Equal("too long parameter, probably missing terminating \"\"\" character:2", ErrorOf("a;\nb \"" + new string('y', 5000) + "\";"));
    }

    [Fact]
    public void Tokens_shorter_than_the_buffer_are_fine()
    {
        var tokens = Tokenize("a " + new string('x', 4000) + ";");
        Assert.Equal(4000, tokens[0].Words[1].Length);
    }
}
