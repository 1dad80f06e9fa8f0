using Sluice.Configuration.Directives;
using Sluice.Http.Configuration;
using Sluice.Variables;
using static Sluice.Configuration.Directives.DirectiveArity;
using static Sluice.Configuration.Directives.DirectiveContext;
using S = Sluice.Http2.Http2Settings;

namespace Sluice.Http2;

/// <summary>
/// The <c>http2_*</c> directives of nginx 1.22's <c>ngx_http_v2_module</c>, with its range checks. The ones
/// 1.19.7 made obsolete only warn, as nginx does; pool and index sizes tune nginx's allocator and have no
/// meaning for Sluice, so they are validated and accepted.
/// </summary>
internal static class Http2Directives
{
    private const long MaxWindow = int.MaxValue;
    private const long MaxFrameSize = (1 << 24) - 1;

    /// <summary>nginx's <c>NGX_MIN_POOL_SIZE</c> on 64-bit builds, and its pool alignment.</summary>
    private const long MinPoolSize = 112;
    private const long PoolAlignment = 16;

    public static void Register(DirectiveTable table)
    {
        void Add(string name, DirectiveContext contexts, DirectiveHandler handler, DirectiveSupport support = DirectiveSupport.NotImplemented) =>
            table.Add(new DirectiveSpec(name, contexts, Take1, handler, support) { Module = "http_v2" });

        Add("http2_recv_buffer_size", DirectiveContext.Http, RecvBufferSize);
        Add("http2_pool_size", HttpServer, PoolSize, DirectiveSupport.Accepted);
        Add("http2_max_concurrent_streams", HttpServer, Slots.Number(S.MaxConcurrentStreams));
        Add("http2_max_concurrent_pushes", HttpServer, Slots.Number(S.MaxConcurrentPushes));
        Add("http2_max_requests", HttpServer, Obsolete("keepalive_requests"), DirectiveSupport.Accepted);
        Add("http2_max_field_size", HttpServer, Obsolete("large_client_header_buffers"), DirectiveSupport.Accepted);
        Add("http2_max_header_size", HttpServer, Obsolete("large_client_header_buffers"), DirectiveSupport.Accepted);
        Add("http2_body_preread_size", HttpServer, BodyPrereadSize);
        Add("http2_streams_index_size", HttpServer, StreamsIndexSize, DirectiveSupport.Accepted);
        Add("http2_recv_timeout", HttpServer, Obsolete("client_header_timeout"), DirectiveSupport.Accepted);
        Add("http2_idle_timeout", HttpServer, Obsolete("keepalive_timeout"), DirectiveSupport.Accepted);
        Add("http2_chunk_size", HttpServerLocation, ChunkSize);
        table.Add(new DirectiveSpec("http2_push_preload", HttpServerLocation, DirectiveArity.Flag, Slots.Flag(S.PushPreload), DirectiveSupport.NotImplemented) { Module = "http_v2" });
        Add("http2_push", HttpServerLocation, Push);
    }

    private static DirectiveHandler Obsolete(string replacement) => call =>
        call.Warn($"the \"{call.Name}\" directive is obsolete, use the \"{replacement}\" directive instead");

    private static void RecvBufferSize(DirectiveCall call)
    {
        var size = ParseSizeOnce(call, S.RecvBufferSize);
        if (size <= 32)
        {
            throw call.DirectiveError("value is too small");
        }

        call.Set(S.RecvBufferSize, size);
    }

    private static void PoolSize(DirectiveCall call)
    {
        var size = ParseSizeOnce(call, S.PoolSize);
        if (size < MinPoolSize)
        {
            throw call.Error($"the pool size must be no less than {MinPoolSize}");
        }

        if (size % PoolAlignment != 0)
        {
            throw call.Error($"the pool size must be a multiple of {PoolAlignment}");
        }

        call.Set(S.PoolSize, size);
    }

    private static void BodyPrereadSize(DirectiveCall call)
    {
        var size = ParseSizeOnce(call, S.BodyPrereadSize);
        if (size > MaxWindow)
        {
            throw call.Error($"the maximum body preread buffer size is {MaxWindow}");
        }

        call.Set(S.BodyPrereadSize, size);
    }

    private static void StreamsIndexSize(DirectiveCall call)
    {
        call.EnsureNotSet(S.StreamsIndexSize);
        var count = call.ParseNumber(call.Args[0]);
        if (count == 0 || (count & (count - 1)) != 0)
        {
            throw call.DirectiveError("must be a power of two");
        }

        call.Set(S.StreamsIndexSize, count);
    }

    private static void ChunkSize(DirectiveCall call)
    {
        var size = ParseSizeOnce(call, S.ChunkSize);
        if (size == 0)
        {
            throw call.Error("the http2 chunk size cannot be zero");
        }

        call.Set(S.ChunkSize, Math.Min(size, MaxFrameSize));
    }

    /// <summary><c>off</c>, or a URI to push; the two cannot be mixed in one block.</summary>
    private static void Push(DirectiveCall call)
    {
        call.Scope.TryGetHere(S.Push, out var current);
        if (call.Args[0] == "off")
        {
            if (current is { Count: > 0 })
            {
                throw call.DirectiveError("\"off\" parameter cannot be used with URI");
            }

            if (current is not null)
            {
                throw call.Duplicate();
            }

            call.Scope.Replace<IReadOnlyList<VariableTemplate>?>(S.Push, [], call.Location);
            return;
        }

        if (current is { Count: 0 })
        {
            throw call.DirectiveError("URI cannot be used with \"off\" parameter");
        }

        call.Scope.Replace<IReadOnlyList<VariableTemplate>?>(S.Push, [.. current ?? [], call.Template(call.Args[0])], call.Location);
    }

    private static long ParseSizeOnce(DirectiveCall call, Setting<long> setting)
    {
        call.EnsureNotSet(setting);
        return call.ParseSize(call.Args[0]);
    }
}
