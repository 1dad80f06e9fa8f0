using Sluice.Configuration.Directives;

namespace Sluice.Logging.Configuration;

/// <summary>Settings of nginx's <c>ngx_http_log_module</c>, per http/server/location block.</summary>
public static class LogSettings
{
    /// <summary>The block's <c>access_log</c> lines; null where no block up the chain has any (then the default log applies).</summary>
    public static readonly Setting<AccessLogConfig?> AccessLogs = new("access_log", null);

    /// <summary><c>open_log_file_cache</c>; null when off or not configured.</summary>
    public static readonly Setting<OpenLogFileCache?> OpenLogFileCache = new("open_log_file_cache", null);
}

/// <summary>Caching of descriptors for log paths with variables: <c>max=N [inactive=10s] [min_uses=1] [valid=60s]</c>.</summary>
public sealed record OpenLogFileCache(long Max, TimeSpan Inactive, long MinUses, TimeSpan Valid);
