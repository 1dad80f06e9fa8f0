using Sluice.Configuration.Directives;
using Sluice.Http.Configuration;

namespace Sluice.Rewrite;

/// <summary>
/// Reads the words of <c>if (…)</c> with nginx's rules (<c>ngx_http_rewrite_if_condition</c>): the parentheses may
/// stand alone or stick to the first and last words, the first operand decides the form, and the error names the
/// word nginx names (<c>invalid condition "$request_method"</c>, <c>unexpected "==" in condition</c>).
/// </summary>
internal static class IfConditionParser
{
    public static IfCondition Parse(DirectiveCall call)
    {
        var words = call.Args.ToArray();
        if (words[0].Length == 0 || words[0][0] != '(')
        {
            throw Invalid(call, words[0]);
        }

        var cur = 0;
        if (words[0].Length == 1)
        {
            cur = 1;
        }
        else
        {
            words[0] = words[0][1..];
        }

        // Read after the '(' was removed: "($a)" is one word that loses both parentheses.
        var last = words.Length - 1;
        if (words[last].Length == 0 || words[last][^1] != ')')
        {
            throw Invalid(call, words[last]);
        }

        if (words[last].Length == 1)
        {
            last--;
        }
        else
        {
            words[last] = words[last][..^1];
        }

        var operand = words[cur];
        if (operand.Length > 1 && operand[0] == '$')
        {
            return VariableCondition(call, words, cur, last);
        }

        if ((operand.Length == 2 && operand[0] == '-') || (operand.Length == 3 && operand[0] == '!' && operand[1] == '-'))
        {
            return FileCondition(call, words, cur, last);
        }

        throw Invalid(call, operand);
    }

    private static IfCondition VariableCondition(DirectiveCall call, string[] words, int cur, int last)
    {
        if (cur != last && cur + 2 != last)
        {
            throw Invalid(call, words[cur]);
        }

        var variable = words[cur][1..];
        call.Http().Variables.Use(variable);
        if (cur == last)
        {
            return new VariableIsTrue(variable.ToLowerInvariant());
        }

        var op = words[cur + 1];
        var value = words[last];
        switch (op)
        {
            case "=":
            case "!=":
                return new VariableEquals(variable.ToLowerInvariant(), call.Template(value), op[0] == '!');
            case "~":
            case "~*":
            case "!~":
            case "!~*":
                var regex = RewriteDirectives.CompileRegex(call, value, caseless: op[^1] == '*');
                return new VariableMatches(variable.ToLowerInvariant(), regex, op[0] == '!');
            default:
                throw call.Error($"unexpected \"{op}\" in condition");
        }
    }

    private static FileTest FileCondition(DirectiveCall call, string[] words, int cur, int last)
    {
        var op = words[cur];
        if (cur + 1 != last)
        {
            throw Invalid(call, op);
        }

        // nginx compiles the path before it looks at the test letter.
        var path = call.Template(words[last]);
        FileTestKind? kind = op[^1] switch
        {
            'f' => FileTestKind.File,
            'd' => FileTestKind.Directory,
            'e' => FileTestKind.Exists,
            'x' => FileTestKind.Executable,
            _ => null,
        };

        return kind is { } k ? new FileTest(k, op[0] == '!', path) : throw Invalid(call, op);
    }

    private static Configuration.ConfigException Invalid(DirectiveCall call, string word) => call.Error($"invalid condition \"{word}\"");
}
