using System.Globalization;

namespace SseBench;

/// <summary><c>--name value</c> pairs; a name may repeat (<c>--port</c>).</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public static Arguments Parse(ReadOnlySpan<string> args)
    {
        var parsed = new Arguments();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new FormatException($"expected \"--name value\", got \"{name}\"");
            }

            if (!parsed._values.TryGetValue(name[2..], out var list))
            {
                list = [];
                parsed._values[name[2..]] = list;
            }

            list.Add(args[++i]);
        }

        return parsed;
    }

    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public string? String(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

    public int Int(string name, int fallback) => String(name) is { } text ? ParseInt(name, text) : fallback;

    public double Double(string name, double fallback) =>
        String(name) is { } text
            ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
                ? value
                : throw new FormatException($"--{name}: \"{text}\" is not a non-negative number")
            : fallback;

    public static int ParseInt(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"--{name}: \"{text}\" is not a non-negative integer");
}

internal sealed record ServerOptions(IReadOnlyList<int> Ports, TimeSpan Interval, int Padding)
{
    public static ServerOptions From(Arguments args)
    {
        var ports = args.All("port").Select(p => Arguments.ParseInt("port", p)).ToList();
        if (ports.Count == 0)
        {
            throw new FormatException("serve needs at least one --port");
        }

        var interval = args.Int("interval-ms", 1000);
        if (interval <= 0)
        {
            throw new FormatException("--interval-ms must be positive");
        }

        return new ServerOptions(ports, TimeSpan.FromMilliseconds(interval), args.Int("padding", 32));
    }
}

internal sealed record ClientOptions(Uri Url, int Streams, TimeSpan Hold, TimeSpan Ramp, int ConnectConcurrency)
{
    public static ClientOptions From(Arguments args)
    {
        var url = args.String("url") ?? throw new FormatException("client needs --url");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new FormatException($"--url: \"{url}\" is not an http:// URL");
        }

        var streams = args.Int("streams", 100);
        if (streams <= 0)
        {
            throw new FormatException("--streams must be positive");
        }

        return new ClientOptions(
            uri,
            streams,
            TimeSpan.FromSeconds(args.Double("seconds", 10)),
            TimeSpan.FromSeconds(args.Double("ramp-seconds", 30)),
            Math.Max(1, args.Int("connect-concurrency", 64)));
    }
}
