using Sluice.Configuration.Directives;
using Sluice.Http.Configuration;
using Sluice.Variables;

namespace Sluice.Proxy.Configuration;

/// <summary>
/// Settings of nginx's <c>ngx_http_proxy_module</c>, with nginx's defaults. A null default means "not
/// configured", where nginx derives the value from others when it merges (busy buffers, temp file sizes).
/// </summary>
public static class ProxySettings
{
    /// <summary>nginx's default <c>proxy_max_temp_file_size</c>.</summary>
    public const long DefaultMaxTempFileSize = 1024L * 1024 * 1024;

    public static readonly Setting<ProxyPass?> Pass = new("proxy_pass", null);
    public static readonly Setting<ProxyRules<ProxyRewrite>?> Redirect = new("proxy_redirect", null);
    public static readonly Setting<ProxyRules<ProxyRewrite>?> CookieDomain = new("proxy_cookie_domain", null);
    public static readonly Setting<ProxyRules<ProxyRewrite>?> CookiePath = new("proxy_cookie_path", null);
    public static readonly Setting<ProxyRules<CookieFlagsRule>?> CookieFlags = new("proxy_cookie_flags", null);
    public static readonly Setting<ProxyStore?> Store = new("proxy_store", null);
    public static readonly Setting<int> StoreAccess = new("proxy_store_access", Convert.ToInt32("600", 8));
    public static readonly Setting<bool> Buffering = new("proxy_buffering", true);
    public static readonly Setting<bool> RequestBuffering = new("proxy_request_buffering", true);
    public static readonly Setting<bool> IgnoreClientAbort = new("proxy_ignore_client_abort", false);
    public static readonly Setting<ProxyBind?> Bind = new("proxy_bind", null);
    public static readonly Setting<bool> SocketKeepalive = new("proxy_socket_keepalive", false);
    public static readonly Setting<TimeSpan> ConnectTimeout = new("proxy_connect_timeout", TimeSpan.FromSeconds(60));
    public static readonly Setting<TimeSpan> SendTimeout = new("proxy_send_timeout", TimeSpan.FromSeconds(60));
    public static readonly Setting<long> SendLowat = new("proxy_send_lowat", 0);
    public static readonly Setting<bool> InterceptErrors = new("proxy_intercept_errors", false);
    public static readonly ListSetting<KeyValuePair<string, string>> SetHeaders = new("proxy_set_header");
    public static readonly Setting<long> HeadersHashMaxSize = new("proxy_headers_hash_max_size", 512);
    public static readonly Setting<long> HeadersHashBucketSize = new("proxy_headers_hash_bucket_size", 64);

    /// <summary>The raw body text; nginx compiles its variables only when it merges, so errors point at the http block's end.</summary>
    public static readonly Setting<string?> SetBody = new("proxy_set_body", null);
    public static readonly Setting<VariableTemplate?> Method = new("proxy_method", null);
    public static readonly Setting<bool> PassRequestHeaders = new("proxy_pass_request_headers", true);
    public static readonly Setting<bool> PassRequestBody = new("proxy_pass_request_body", true);
    public static readonly Setting<long> BufferSize = new("proxy_buffer_size", 4096);
    public static readonly Setting<TimeSpan> ReadTimeout = new("proxy_read_timeout", TimeSpan.FromSeconds(60));
    public static readonly Setting<BufferSpec?> Buffers = new("proxy_buffers", new BufferSpec(8, 4096));
    public static readonly Setting<long?> BusyBuffersSize = new("proxy_busy_buffers_size", null);
    public static readonly Setting<bool> ForceRanges = new("proxy_force_ranges", false);
    public static readonly Setting<long> LimitRate = new("proxy_limit_rate", 0);

    public static readonly Setting<ProxyCache?> Cache = new("proxy_cache", null);
    public static readonly Setting<VariableTemplate?> CacheKey = new("proxy_cache_key", null);
    public static readonly ListSetting<VariableTemplate> CacheBypass = new("proxy_cache_bypass");
    public static readonly ListSetting<VariableTemplate> NoCache = new("proxy_no_cache");
    public static readonly ListSetting<CacheValidity> CacheValid = new("proxy_cache_valid");
    public static readonly Setting<long> CacheMinUses = new("proxy_cache_min_uses", 1);
    public static readonly Setting<long> CacheMaxRangeOffset = new("proxy_cache_max_range_offset", long.MaxValue);
    public static readonly Setting<int> CacheUseStale = new("proxy_cache_use_stale", (int)NextUpstreamConditions.Off);

    /// <summary>Extra cacheable methods; GET and HEAD are always cached.</summary>
    public static readonly Setting<int> CacheMethods = new("proxy_cache_methods", 0);
    public static readonly Setting<bool> CacheLock = new("proxy_cache_lock", false);
    public static readonly Setting<TimeSpan> CacheLockTimeout = new("proxy_cache_lock_timeout", TimeSpan.FromSeconds(5));
    public static readonly Setting<TimeSpan> CacheLockAge = new("proxy_cache_lock_age", TimeSpan.FromSeconds(5));
    public static readonly Setting<bool> CacheRevalidate = new("proxy_cache_revalidate", false);
    public static readonly Setting<bool> CacheConvertHead = new("proxy_cache_convert_head", true);
    public static readonly Setting<bool> CacheBackgroundUpdate = new("proxy_cache_background_update", false);

    public static readonly Setting<TempPathSpec?> TempPath = new("proxy_temp_path", null);
    public static readonly Setting<long?> MaxTempFileSize = new("proxy_max_temp_file_size", null);
    public static readonly Setting<long?> TempFileWriteSize = new("proxy_temp_file_write_size", null);
    public static readonly Setting<int> NextUpstream = new("proxy_next_upstream", (int)(NextUpstreamConditions.Error | NextUpstreamConditions.Timeout));
    public static readonly Setting<long> NextUpstreamTries = new("proxy_next_upstream_tries", 0);
    public static readonly Setting<TimeSpan> NextUpstreamTimeout = new("proxy_next_upstream_timeout", TimeSpan.Zero);
    public static readonly ListSetting<string> PassHeaders = new("proxy_pass_header");
    public static readonly ListSetting<string> HideHeaders = new("proxy_hide_header");
    public static readonly Setting<int> IgnoreHeaders = new("proxy_ignore_headers", 0);
    public static readonly Setting<string> HttpVersion = new("proxy_http_version", "1.0");

    public static readonly Setting<bool> SslSessionReuse = new("proxy_ssl_session_reuse", true);
    public static readonly Setting<int> SslProtocols = new("proxy_ssl_protocols", ProxyMasks.DefaultSslProtocols);
    public static readonly Setting<string?> SslCiphers = new("proxy_ssl_ciphers", "DEFAULT");
    public static readonly Setting<VariableTemplate?> SslName = new("proxy_ssl_name", null);
    public static readonly Setting<bool> SslServerName = new("proxy_ssl_server_name", false);
    public static readonly Setting<bool> SslVerify = new("proxy_ssl_verify", false);
    public static readonly Setting<long> SslVerifyDepth = new("proxy_ssl_verify_depth", 1);
    public static readonly Setting<string?> SslTrustedCertificate = new("proxy_ssl_trusted_certificate", null);
    public static readonly Setting<string?> SslCrl = new("proxy_ssl_crl", null);
    public static readonly Setting<VariableTemplate?> SslCertificate = new("proxy_ssl_certificate", null);
    public static readonly Setting<VariableTemplate?> SslCertificateKey = new("proxy_ssl_certificate_key", null);
    public static readonly Setting<string?> SslPasswordFile = new("proxy_ssl_password_file", null);
    public static readonly ListSetting<KeyValuePair<string, string>> SslConfCommands = new("proxy_ssl_conf_command");
}

/// <summary>When <c>proxy_next_upstream</c> tries another server, and which failures <c>proxy_cache_use_stale</c> covers.</summary>
[Flags]
public enum NextUpstreamConditions
{
    None = 0,
    Error = 1 << 0,
    Timeout = 1 << 1,
    InvalidHeader = 1 << 2,
    NonIdempotent = 1 << 3,
    Http500 = 1 << 4,
    Http502 = 1 << 5,
    Http503 = 1 << 6,
    Http504 = 1 << 7,
    Http403 = 1 << 8,
    Http404 = 1 << 9,
    Http429 = 1 << 10,
    Updating = 1 << 11,

    /// <summary>Overrides every other word given with it.</summary>
    Off = 1 << 12,
}

/// <summary>The words of the proxy module's bitmask directives, with their bits.</summary>
public static class ProxyMasks
{
    public static readonly IReadOnlyDictionary<string, int> NextUpstream = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["error"] = (int)NextUpstreamConditions.Error,
        ["timeout"] = (int)NextUpstreamConditions.Timeout,
        ["invalid_header"] = (int)NextUpstreamConditions.InvalidHeader,
        ["non_idempotent"] = (int)NextUpstreamConditions.NonIdempotent,
        ["http_500"] = (int)NextUpstreamConditions.Http500,
        ["http_502"] = (int)NextUpstreamConditions.Http502,
        ["http_503"] = (int)NextUpstreamConditions.Http503,
        ["http_504"] = (int)NextUpstreamConditions.Http504,
        ["http_403"] = (int)NextUpstreamConditions.Http403,
        ["http_404"] = (int)NextUpstreamConditions.Http404,
        ["http_429"] = (int)NextUpstreamConditions.Http429,
        ["updating"] = (int)NextUpstreamConditions.Updating,
        ["off"] = (int)NextUpstreamConditions.Off,
    };

    public static readonly IReadOnlyDictionary<string, int> CacheMethods = HttpCoreDirectives.Bits("GET", "HEAD", "POST");

    public static readonly IReadOnlyDictionary<string, int> IgnoreHeaders = HttpCoreDirectives.Bits(
        "X-Accel-Redirect", "X-Accel-Expires", "X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset",
        "Expires", "Cache-Control", "Set-Cookie", "Vary");

    public static readonly IReadOnlyDictionary<string, int> SslProtocols = HttpCoreDirectives.Bits("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

    /// <summary>TLSv1, TLSv1.1 and TLSv1.2, nginx 1.22's default.</summary>
    public static int DefaultSslProtocols => SslProtocols["TLSv1"] | SslProtocols["TLSv1.1"] | SslProtocols["TLSv1.2"];

    public static readonly IReadOnlyDictionary<string, string> HttpVersions = HttpCoreDirectives.Words("1.0", "1.1");
}
