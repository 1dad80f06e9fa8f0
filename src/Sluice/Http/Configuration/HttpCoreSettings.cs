using Sluice.Configuration.Directives;
using Sluice.Variables;

namespace Sluice.Http.Configuration;

/// <summary>Settings of nginx's <c>ngx_http_core_module</c> (and the index and try_files modules).</summary>
public static class HttpCoreSettings
{
    public static readonly Setting<long> VariablesHashMaxSize = new("variables_hash_max_size", 1024);
    public static readonly Setting<long> VariablesHashBucketSize = new("variables_hash_bucket_size", 64);
    public static readonly Setting<long> ServerNamesHashMaxSize = new("server_names_hash_max_size", 512);
    public static readonly Setting<long> ServerNamesHashBucketSize = new("server_names_hash_bucket_size", 64);
    public static readonly Setting<long> TypesHashMaxSize = new("types_hash_max_size", 1024);
    public static readonly Setting<long> TypesHashBucketSize = new("types_hash_bucket_size", 64);
    public static readonly Setting<long> ConnectionPoolSize = new("connection_pool_size", 512);
    public static readonly Setting<long> RequestPoolSize = new("request_pool_size", 4096);

    public static readonly Setting<TimeSpan> ClientHeaderTimeout = new("client_header_timeout", TimeSpan.FromSeconds(60));
    public static readonly Setting<long> ClientHeaderBufferSize = new("client_header_buffer_size", 1024);
    public static readonly Setting<BufferSpec?> LargeClientHeaderBuffers = new("large_client_header_buffers", new BufferSpec(4, 8192));
    public static readonly Setting<bool> IgnoreInvalidHeaders = new("ignore_invalid_headers", true);
    public static readonly Setting<bool> MergeSlashes = new("merge_slashes", true);
    public static readonly Setting<bool> UnderscoresInHeaders = new("underscores_in_headers", false);

    public static readonly Setting<string?> DefaultType = new("default_type", "text/plain");
    public static readonly Setting<IReadOnlyDictionary<string, string>?> Types = new("types", null);
    public static readonly Setting<RootSpec?> Root = new("root", null);
    public static readonly Setting<long> ClientMaxBodySize = new("client_max_body_size", 1024 * 1024);
    public static readonly Setting<long> ClientBodyBufferSize = new("client_body_buffer_size", 16 * 1024);
    public static readonly Setting<TimeSpan> ClientBodyTimeout = new("client_body_timeout", TimeSpan.FromSeconds(60));
    public static readonly Setting<TempPathSpec?> ClientBodyTempPath = new("client_body_temp_path", null);
    public static readonly Setting<string> ClientBodyInFileOnly = new("client_body_in_file_only", "off");
    public static readonly Setting<bool> ClientBodyInSingleBuffer = new("client_body_in_single_buffer", false);
    public static readonly Setting<bool> Sendfile = new("sendfile", false);
    public static readonly Setting<long> SendfileMaxChunk = new("sendfile_max_chunk", 2 * 1024 * 1024);
    public static readonly Setting<long> SubrequestOutputBufferSize = new("subrequest_output_buffer_size", 4096);
    public static readonly Setting<string?> Aio = new("aio", null);
    public static readonly Setting<bool> AioWrite = new("aio_write", false);
    public static readonly Setting<long> ReadAhead = new("read_ahead", 0);
    public static readonly Setting<long?> Directio = new("directio", null);
    public static readonly Setting<long> DirectioAlignment = new("directio_alignment", 512);
    public static readonly Setting<bool> TcpNopush = new("tcp_nopush", false);
    public static readonly Setting<bool> TcpNodelay = new("tcp_nodelay", true);
    public static readonly Setting<TimeSpan> SendTimeout = new("send_timeout", TimeSpan.FromSeconds(60));
    public static readonly Setting<long> SendLowat = new("send_lowat", 0);
    public static readonly Setting<long> PostponeOutput = new("postpone_output", 1460);
    public static readonly Setting<VariableTemplate?> LimitRate = new("limit_rate", null);
    public static readonly Setting<VariableTemplate?> LimitRateAfter = new("limit_rate_after", null);
    public static readonly Setting<TimeSpan> KeepaliveTime = new("keepalive_time", TimeSpan.FromHours(1));
    public static readonly Setting<KeepaliveTimeout> KeepaliveTimeout = new("keepalive_timeout", new KeepaliveTimeout(TimeSpan.FromSeconds(75), null));
    public static readonly Setting<long> KeepaliveRequests = new("keepalive_requests", 1000);
    public static readonly Setting<int> KeepaliveDisable = new("keepalive_disable", 0);
    public static readonly Setting<string> Satisfy = new("satisfy", "all");
    public static readonly Setting<TimeSpan> AuthDelay = new("auth_delay", TimeSpan.Zero);
    public static readonly Setting<bool> Internal = new("internal", false);
    public static readonly Setting<string> LingeringClose = new("lingering_close", "on");
    public static readonly Setting<TimeSpan> LingeringTime = new("lingering_time", TimeSpan.FromSeconds(30));
    public static readonly Setting<TimeSpan> LingeringTimeout = new("lingering_timeout", TimeSpan.FromSeconds(5));
    public static readonly Setting<bool> ResetTimedoutConnection = new("reset_timedout_connection", false);
    public static readonly Setting<bool> AbsoluteRedirect = new("absolute_redirect", true);
    public static readonly Setting<bool> ServerNameInRedirect = new("server_name_in_redirect", false);
    public static readonly Setting<bool> PortInRedirect = new("port_in_redirect", true);
    public static readonly Setting<bool> MsiePadding = new("msie_padding", true);
    public static readonly Setting<bool> MsieRefresh = new("msie_refresh", false);
    public static readonly Setting<bool> LogNotFound = new("log_not_found", true);
    public static readonly Setting<bool> LogSubrequest = new("log_subrequest", false);
    public static readonly Setting<bool> RecursiveErrorPages = new("recursive_error_pages", false);
    public static readonly Setting<string> ServerTokens = new("server_tokens", "on");
    public static readonly Setting<string> IfModifiedSince = new("if_modified_since", "exact");
    public static readonly Setting<long?> MaxRanges = new("max_ranges", null);
    public static readonly Setting<bool> ChunkedTransferEncoding = new("chunked_transfer_encoding", true);
    public static readonly Setting<bool> Etag = new("etag", true);
    public static readonly ListSetting<ErrorPageSpec> ErrorPages = new("error_page");
    public static readonly Setting<VariableTemplate?> PostAction = new("post_action", null);
    public static readonly ListSetting<Core.ErrorLogTarget> ErrorLogs = new("error_log");
    public static readonly Setting<bool> OpenFileCacheSet = new("open_file_cache", false);
    public static readonly Setting<TimeSpan> OpenFileCacheValid = new("open_file_cache_valid", TimeSpan.FromSeconds(60));
    public static readonly Setting<long> OpenFileCacheMinUses = new("open_file_cache_min_uses", 1);
    public static readonly Setting<bool> OpenFileCacheErrors = new("open_file_cache_errors", false);
    public static readonly Setting<bool> OpenFileCacheEvents = new("open_file_cache_events", false);
    public static readonly Setting<IReadOnlyList<string>?> Resolver = new("resolver", null);
    public static readonly Setting<TimeSpan> ResolverTimeout = new("resolver_timeout", TimeSpan.FromSeconds(30));
    public static readonly Setting<bool> GzipVary = new("gzip_vary", false);
    public static readonly Setting<string> GzipHttpVersion = new("gzip_http_version", "1.1");
    public static readonly Setting<int> GzipProxied = new("gzip_proxied", 0);
    public static readonly Setting<bool> GzipDisableSet = new("gzip_disable", false);
    public static readonly Setting<string?> DisableSymlinks = new("disable_symlinks", null);
    public static readonly ListSetting<string> Index = new("index");
    public static readonly Setting<IReadOnlyList<TryFilesEntry>?> TryFiles = new("try_files", null);
}

/// <summary><c>root</c> or <c>alias</c> with its path (variables allowed).</summary>
public sealed record RootSpec(VariableTemplate Path, bool IsAlias);

/// <summary><c>keepalive_timeout 65 [60]</c>: the idle timeout and the optional Keep-Alive header value.</summary>
public readonly record struct KeepaliveTimeout(TimeSpan Timeout, TimeSpan? Header);

/// <summary>One status of an <c>error_page</c>: the codes map to a URI, optionally with <c>=code</c> (0 means "the target's status").</summary>
public sealed record ErrorPageSpec(int Status, int? Overwrite, VariableTemplate Uri, string? Args);

/// <summary>One <c>try_files</c> entry; the last one may be <c>=code</c>.</summary>
public sealed record TryFilesEntry(VariableTemplate Name, bool TestDirectory, int? Code);
