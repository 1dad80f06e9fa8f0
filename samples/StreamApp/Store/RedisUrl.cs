using System.Globalization;
using StackExchange.Redis;

namespace StreamApp.Store;

/// <summary>
/// <c>REDIS_URL</c> as the guide writes it (<c>redis://redis:6379</c>): <c>redis[s]://[[user]:password@]host[:port][/db]</c>.
/// StackExchange.Redis has its own "host:port,option=value" syntax, so the URL is translated here.
/// </summary>
public sealed record RedisUrl(string Host, int Port, int Database, string? User, string? Password, bool UseTls)
{
    public const int DefaultPort = 6379;

    /// <summary>Host and port, without credentials: safe to show in /health/detailed and in logs.</summary>
    public string Endpoint => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public static RedisUrl Parse(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != "redis" && uri.Scheme != "rediss"))
        {
            throw new FormatException($"REDIS_URL \"{text}\" is not a redis:// or rediss:// URL");
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException($"REDIS_URL \"{text}\" has no host");
        }

        var database = 0;
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 15_999))
        {
            throw new FormatException($"REDIS_URL \"{text}\": the path must be a database number, not \"{path}\"");
        }

        string? user = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                // redis://secret@host — redis-cli and redis-py read a lone userinfo as the password.
                password = Uri.UnescapeDataString(uri.UserInfo);
            }
            else
            {
                user = NullIfEmpty(Uri.UnescapeDataString(uri.UserInfo[..colon]));
                password = NullIfEmpty(Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]));
            }
        }

        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host;
        return new RedisUrl(host, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, database, user, password, uri.Scheme == "rediss");
    }

    /// <summary>The parsed URL, or null when it is not one.</summary>
    public static RedisUrl? TryParse(string text)
    {
        try
        {
            return Parse(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Client settings for a load-balanced application tier: never give up connecting (an instance that starts before
    /// Redis must come good by itself), fail commands at once while disconnected instead of queueing them (so
    /// /health/ready turns 503 and a publish fails fast enough for the balancer to retry elsewhere), and retry the
    /// connection quickly once Redis is back.
    /// </summary>
    public ConfigurationOptions ToConfiguration(TimeSpan timeout, string clientName)
    {
        var ms = (int)Math.Clamp(timeout.TotalMilliseconds, 50, int.MaxValue);
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            BacklogPolicy = BacklogPolicy.FailFast,
            ConnectTimeout = ms,
            SyncTimeout = ms,
            AsyncTimeout = ms,
            ConnectRetry = 1,
            ReconnectRetryPolicy = new ExponentialRetry(250, 2000),
            KeepAlive = 5,
            IncludeDetailInExceptions = false,
            IncludePerformanceCountersInExceptions = false,
            DefaultDatabase = Database,
            User = User,
            Password = Password,
            Ssl = UseTls,
            ClientName = clientName,
        };
        options.EndPoints.Add(Host, Port);
        return options;
    }

    public override string ToString() => $"{(UseTls ? "rediss" : "redis")}://{Endpoint}/{Database.ToString(CultureInfo.InvariantCulture)}";

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
