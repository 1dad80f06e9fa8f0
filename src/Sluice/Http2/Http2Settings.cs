using Sluice.Configuration.Directives;
using Sluice.Variables;

namespace Sluice.Http2;

/// <summary>Settings of nginx's <c>ngx_http_v2_module</c> (1.22), with nginx's defaults.</summary>
public static class Http2Settings
{
    /// <summary>Per-worker read buffer; http level only.</summary>
    public static readonly Setting<long> RecvBufferSize = new("http2_recv_buffer_size", 256 * 1024);

    public static readonly Setting<long> PoolSize = new("http2_pool_size", 4096);

    public static readonly Setting<long> MaxConcurrentStreams = new("http2_max_concurrent_streams", 128);

    public static readonly Setting<long> MaxConcurrentPushes = new("http2_max_concurrent_pushes", 10);

    public static readonly Setting<long> BodyPrereadSize = new("http2_body_preread_size", 65536);

    public static readonly Setting<long> StreamsIndexSize = new("http2_streams_index_size", 32);

    /// <summary>Largest DATA frame; values above the protocol's 16 MiB - 1 are clamped, as nginx does.</summary>
    public static readonly Setting<long> ChunkSize = new("http2_chunk_size", 8 * 1024);

    public static readonly Setting<bool> PushPreload = new("http2_push_preload", false);

    /// <summary><c>http2_push</c>: null when not configured, an empty list for <c>off</c>, else the URIs to push.</summary>
    public static readonly Setting<IReadOnlyList<VariableTemplate>?> Push = new("http2_push", null);
}
