using System.Globalization;
using System.Text;

namespace StreamApp.Tests.Infrastructure;

/// <summary>One sample of the Prometheus text exposition format.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A strict reader of the Prometheus text format (version 0.0.4): every line is a HELP or TYPE comment or a sample
/// <c>name{label="value",…} value [timestamp]</c> whose family was typed first. Anything else fails the test.
/// </summary>
public static class PrometheusText
{
    private static readonly HashSet<string> Types = ["counter", "gauge", "histogram", "summary", "untyped"];
    private static readonly string[] FamilySuffixes = ["_bucket", "_sum", "_count", "_total", "_created"];

    public static (IReadOnlyDictionary<string, string> Types, IReadOnlyList<PrometheusSample> Samples) Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<PrometheusSample>();
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[1] == "TYPE")
                {
                    Check(IsName(parts[2]) && parts.Length == 4 && Types.Contains(parts[3]), lineNumber, line);
                    Check(types.TryAdd(parts[2], parts[3]), lineNumber, $"second TYPE for {parts[2]}");
                }
                else if (parts.Length >= 3 && parts[1] == "HELP")
                {
                    Check(IsName(parts[2]), lineNumber, line);
                }

                continue;
            }

            samples.Add(ParseSample(line, lineNumber, types));
        }

        return (types, samples);
    }

    private static PrometheusSample ParseSample(string line, int lineNumber, Dictionary<string, string> types)
    {
        var i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':'))
        {
            i++;
        }

        var name = line[..i];
        Check(IsName(name), lineNumber, line);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var start = i;
                while (char.IsAsciiLetterOrDigit(line[i]) || line[i] == '_')
                {
                    i++;
                }

                var label = line[start..i];
                Check(label.Length > 0 && line[i] == '=' && line[i + 1] == '"', lineNumber, line);
                i += 2;
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] switch { 'n' => '\n', '\\' => '\\', '"' => '"', _ => throw new FormatException($"line {lineNumber}: bad escape: {line}") });
                    }
                    else
                    {
                        value.Append(line[i]);
                    }

                    i++;
                }

                i++;
                Check(labels.TryAdd(label, value.ToString()), lineNumber, $"label {label} twice: {line}");
                if (line[i] == ',')
                {
                    i++;
                }
            }

            i++;
        }

        Check(i < line.Length && line[i] == ' ', lineNumber, line);
        var fields = line[(i + 1)..].Split(' ');
        Check(fields.Length is 1 or 2, lineNumber, line);
        var number = fields[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var other when double.TryParse(other, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => throw new FormatException($"line {lineNumber}: bad value: {line}"),
        };
        Check(fields.Length == 1 || long.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _), lineNumber, line);

        var family = types.ContainsKey(name) ? name
            : FamilySuffixes.Where(name.EndsWith).Select(s => name[..^s.Length]).FirstOrDefault(types.ContainsKey);
        Check(family is not null, lineNumber, $"sample before its TYPE: {line}");
        return new PrometheusSample(name, labels, number);
    }

    private static bool IsName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] is '_' or ':') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    private static void Check(bool condition, int lineNumber, string what)
    {
        if (!condition)
        {
            throw new FormatException($"line {lineNumber}: not Prometheus text: {what}");
        }
    }
}
