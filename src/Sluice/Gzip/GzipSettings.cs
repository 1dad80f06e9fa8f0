using System.Collections.Immutable;
using Sluice.Configuration.Directives;

namespace Sluice.Gzip;

/// <summary>
/// Settings of nginx's <c>ngx_http_gzip_filter_module</c> and <c>ngx_http_gzip_static_module</c>, per
/// http/server/location block (<c>gzip_vary</c>, <c>gzip_proxied</c>, <c>gzip_disable</c> and
/// <c>gzip_http_version</c> belong to the http core, see <c>HttpCoreSettings</c>).
/// </summary>
public static class GzipSettings
{
    public static readonly Setting<bool> Enable = new("gzip", false);

    /// <summary>nginx's default is 128k in pages: 32 × 4k.</summary>
    public static readonly Setting<BufferSpec?> Buffers = new("gzip_buffers", new BufferSpec(32, 4096));

    public static readonly Setting<MimeTypeFilter> Types = new("gzip_types", MimeTypeFilter.HtmlOnly);

    public static readonly Setting<long> CompressionLevel = new("gzip_comp_level", 1);

    /// <summary>zlib's window bits, 9..15, from <c>gzip_window 512..32k</c>.</summary>
    public static readonly Setting<int> WindowBits = new("gzip_window", 15);

    /// <summary>zlib's memory level, 1..9, from <c>gzip_hash 512..128k</c>; nginx's default is 8.</summary>
    public static readonly Setting<int> MemoryLevel = new("gzip_hash", 8);

    public static readonly Setting<long> PostponeGzipping = new("postpone_gzipping", 0);

    public static readonly Setting<bool> NoBuffer = new("gzip_no_buffer", false);

    public static readonly Setting<long> MinLength = new("gzip_min_length", 20);

    public static readonly Setting<GzipStatic> Static = new("gzip_static", GzipStatic.Off);
}

/// <summary><c>gzip_static</c>: serve <c>file.gz</c> to clients that accept gzip (<c>on</c>), or to all (<c>always</c>).</summary>
public enum GzipStatic
{
    Off,
    On,
    Always,
}

/// <summary>
/// A list of MIME types a filter applies to (nginx's <c>ngx_http_types_slot</c>): <c>text/html</c> always
/// included, others lowercased, or every type with <c>*</c>.
/// </summary>
public sealed record MimeTypeFilter(bool AllTypes, ImmutableArray<string> Types)
{
    public const string Html = "text/html";

    public static MimeTypeFilter HtmlOnly { get; } = new(false, [Html]);

    public static MimeTypeFilter Any { get; } = new(true, []);
}
