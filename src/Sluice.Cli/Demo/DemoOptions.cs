using System.Globalization;

namespace Sluice.Cli.Demo;

/// <summary>The demo's command line: <c>sluice demo [--port N] [--instances N] [--redis URL | --no-redis] [--heartbeat S]</c>.</summary>
internal sealed record DemoOptions
{
    public const string Usage = """
        Usage: sluice demo [--port N] [--instances N] [--redis URL | --no-redis] [--heartbeat SECONDS]

          --port N         where Sluice listens, on 127.0.0.1 (default 8080)
          --instances N    how many StreamApp instances (default 3)
          --redis URL      share events through this Redis (default: $REDIS_URL, else a private
                           redis-server when one is installed, else one in-process store)
          --no-redis       share events through one in-process store even if Redis is available
          --heartbeat S    seconds between SSE heartbeat comments (default 15)
        """;

    public int Port { get; init; } = 8080;

    public int Instances { get; init; } = 3;

    /// <summary>An explicit Redis; null: REDIS_URL, then a local redis-server, then in-process.</summary>
    public string? RedisUrl { get; init; }

    public bool NoRedis { get; init; }

    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(15);

    public bool Help { get; init; }

    public static bool TryParse(string[] args, out DemoOptions options, out string error)
    {
        options = new DemoOptions { RedisUrl = Environment.GetEnvironmentVariable("REDIS_URL") is { Length: > 0 } url ? url : null };
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (arg)
            {
                case "-h" or "--help":
                    options = options with { Help = true };
                    break;
                case "--port" when int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536:
                    options = options with { Port = port };
                    break;
                case "--instances" when int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count is > 0 and <= 16:
                    options = options with { Instances = count };
                    break;
                case "--redis" when Value() is { Length: > 0 } redis:
                    options = options with { RedisUrl = redis, NoRedis = false };
                    break;
                case "--no-redis":
                    options = options with { RedisUrl = null, NoRedis = true };
                    break;
                case "--heartbeat" when int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0:
                    options = options with { Heartbeat = TimeSpan.FromSeconds(seconds) };
                    break;
                default:
                    error = $"invalid demo option \"{arg}\"";
                    return false;
            }
        }

        return true;
    }
}
