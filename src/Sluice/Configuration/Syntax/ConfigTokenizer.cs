using System.Text;

namespace Sluice.Configuration.Syntax;

/// <summary>How a statement read by <see cref="ConfigTokenizer"/> ended.</summary>
public enum StatementEnd
{
    /// <summary>The words were terminated by <c>;</c>.</summary>
    Semicolon,

    /// <summary>The words were terminated by <c>{</c>.</summary>
    BlockStart,

    /// <summary>A <c>}</c> with no words before it.</summary>
    BlockEnd,

    /// <summary>The input ended between statements.</summary>
    EndOfInput,

    /// <summary>A syntax error; see <see cref="ConfigTokenizer.Error"/>.</summary>
    Error,
}

/// <summary>
/// Splits nginx.conf text into statements with exactly the rules of nginx's own reader
/// (<c>ngx_conf_read_token</c>): words separated by blanks; <c>"…"</c> and <c>'…'</c> quoting with
/// <c>\"</c>, <c>\'</c>, <c>\\</c>, <c>\t</c>, <c>\r</c>, <c>\n</c> escapes; <c>#</c> comments; <c>${var}</c>
/// kept whole; a quoted word must be followed by a blank, <c>;</c>, <c>{</c> or <c>)</c>. Works on bytes, so
/// line numbers and the 4096-byte word limit match nginx byte for byte.
/// </summary>
public sealed class ConfigTokenizer
{
    /// <summary>nginx reads a file through a 4096-byte buffer; a word (or comment) that fills it is an error.</summary>
    internal const int BufferSize = 4096;

    private readonly byte[] _input;
    private readonly bool _isCommandLine;
    private int _pos;

    public ConfigTokenizer(byte[] input, bool isCommandLine = false)
    {
        _input = input;
        _isCommandLine = isCommandLine;
        Line = 1;
    }

    /// <summary>The current line: the line of the last character read (nginx's <c>cf-&gt;conf_file-&gt;line</c>).</summary>
    public int Line { get; private set; }

    /// <summary>The message of the last <see cref="StatementEnd.Error"/>.</summary>
    public string Error { get; private set; } = "";

    /// <summary>The line to report with <see cref="Error"/>.</summary>
    public int ErrorLine { get; private set; }

    /// <summary>Reads the next statement's words into <paramref name="words"/> (cleared first) and tells how it ended.</summary>
    public StatementEnd Next(List<string> words)
    {
        words.Clear();
        var found = false;
        var needSpace = false;
        var lastSpace = true;
        var sharpComment = false;
        var variable = false;
        var quoted = false;
        var singleQuoted = false;
        var doubleQuoted = false;
        var start = _pos;
        var startLine = Line;

        while (true)
        {
            if (_pos >= _input.Length)
            {
                if (words.Count > 0 || !lastSpace)
                {
                    return Fail(_isCommandLine
                        ? "unexpected end of parameter, expecting \";\""
                        : "unexpected end of file, expecting \";\" or \"}\"", Line);
                }

                return StatementEnd.EndOfInput;
            }

            if (_pos - start == BufferSize && !_isCommandLine)
            {
                if (doubleQuoted || singleQuoted)
                {
                    var quote = doubleQuoted ? '"' : '\'';
                    return Fail($"too long parameter, probably missing terminating \"{quote}\" character", startLine);
                }

                return Fail($"too long parameter \"{Decode(start, 10)}...\" started", startLine);
            }

            var ch = _input[_pos++];

            if (ch == '\n')
            {
                Line++;
                sharpComment = false;
            }

            if (sharpComment)
            {
                continue;
            }

            if (quoted)
            {
                quoted = false;
                continue;
            }

            if (needSpace)
            {
                if (IsBlank(ch))
                {
                    lastSpace = true;
                    needSpace = false;
                    continue;
                }

                if (ch == ';')
                {
                    return StatementEnd.Semicolon;
                }

                if (ch == '{')
                {
                    return StatementEnd.BlockStart;
                }

                if (ch == ')')
                {
                    lastSpace = true;
                    needSpace = false;
                }
                else
                {
                    return Fail($"unexpected \"{(char)ch}\"", Line);
                }
            }

            if (lastSpace)
            {
                start = _pos - 1;
                startLine = Line;

                if (IsBlank(ch))
                {
                    continue;
                }

                switch (ch)
                {
                    case (byte)';':
                    case (byte)'{':
                        if (words.Count == 0)
                        {
                            return Fail($"unexpected \"{(char)ch}\"", Line);
                        }

                        return ch == '{' ? StatementEnd.BlockStart : StatementEnd.Semicolon;

                    case (byte)'}':
                        if (words.Count != 0)
                        {
                            return Fail("unexpected \"}\"", Line);
                        }

                        return StatementEnd.BlockEnd;

                    case (byte)'#':
                        sharpComment = true;
                        continue;

                    case (byte)'\\':
                        quoted = true;
                        lastSpace = false;
                        continue;

                    case (byte)'"':
                        start++;
                        doubleQuoted = true;
                        lastSpace = false;
                        continue;

                    case (byte)'\'':
                        start++;
                        singleQuoted = true;
                        lastSpace = false;
                        continue;

                    case (byte)'$':
                        variable = true;
                        lastSpace = false;
                        continue;

                    default:
                        lastSpace = false;
                        break;
                }
            }
            else
            {
                // "${name}" keeps its braces inside the word.
                if (ch == '{' && variable)
                {
                    continue;
                }

                variable = false;

                if (ch == '\\')
                {
                    quoted = true;
                    continue;
                }

                if (ch == '$')
                {
                    variable = true;
                    continue;
                }

                if (doubleQuoted)
                {
                    if (ch == '"')
                    {
                        doubleQuoted = false;
                        needSpace = true;
                        found = true;
                    }
                }
                else if (singleQuoted)
                {
                    if (ch == '\'')
                    {
                        singleQuoted = false;
                        needSpace = true;
                        found = true;
                    }
                }
                else if (IsBlank(ch) || ch == ';' || ch == '{')
                {
                    lastSpace = true;
                    found = true;
                }

                if (found)
                {
                    words.Add(Unescape(start, _pos - 1));

                    if (ch == ';')
                    {
                        return StatementEnd.Semicolon;
                    }

                    if (ch == '{')
                    {
                        return StatementEnd.BlockStart;
                    }

                    found = false;
                }
            }
        }
    }

    private StatementEnd Fail(string message, int line)
    {
        Error = message;
        ErrorLine = line;
        return StatementEnd.Error;
    }

    private static bool IsBlank(byte ch) => ch is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private string Decode(int start, int maxBytes)
    {
        var length = Math.Min(maxBytes, _input.Length - start);
        return Encoding.UTF8.GetString(_input, start, length);
    }

    /// <summary>Copies a word resolving nginx's escapes: \" \' \\ drop the backslash, \t \r \n become controls, others stay.</summary>
    private string Unescape(int start, int end)
    {
        var span = _input.AsSpan(start, end - start);
        if (span.IndexOf((byte)'\\') < 0)
        {
            return Encoding.UTF8.GetString(span);
        }

        var buffer = new byte[span.Length];
        var length = 0;
        for (var i = 0; i < span.Length;)
        {
            if (span[i] == '\\' && i + 1 < span.Length)
            {
                switch (span[i + 1])
                {
                    case (byte)'"':
                    case (byte)'\'':
                    case (byte)'\\':
                        i++;
                        break;
                    case (byte)'t':
                        buffer[length++] = (byte)'\t';
                        i += 2;
                        continue;
                    case (byte)'r':
                        buffer[length++] = (byte)'\r';
                        i += 2;
                        continue;
                    case (byte)'n':
                        buffer[length++] = (byte)'\n';
                        i += 2;
                        continue;
                }
            }

            buffer[length++] = span[i++];
        }

        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
