using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Sluice.Http.Configuration;
using Sluice.Http.Routing;
using Sluice.Variables;

namespace Sluice.Http.Runtime;

/// <summary>
/// A location as the request path sees it: how it matches, its settings resolved with inheritance, and
/// its phase handlers — all built once per configuration load, immutable afterwards.
/// </summary>
public sealed class LocationRuntime : ILocationNode<LocationRuntime>
{
    public required string Name { get; init; }

    public required LocationKind Kind { get; init; }

    public Regex? Regex { get; init; }

    public bool AutoRedirect { get; set; }

    public LocationMatcher<LocationRuntime>? Nested { get; set; }

    /// <summary>Reachable only by internal redirects (<c>internal</c>, named locations).</summary>
    public bool Internal { get; init; }

    public required CoreLocationSettings Core { get; init; }

    /// <summary>Phase handlers in phase order; features add theirs while the generation is built.</summary>
    public PhaseHandler[] Handlers { get; set; } = [];

    /// <summary>nginx's header filters of this location (add_header, expires …), applied just before the response starts.</summary>
    public ResponseHeaderFilter[] HeaderFilters { get; set; } = [];

    /// <summary>Features' per-location runtime objects (the access log of this location, …), by type.</summary>
    public FrozenDictionary<Type, object> Features { get; set; } = FrozenDictionary<Type, object>.Empty;

    public T? Feature<T>()
        where T : class => Features.TryGetValue(typeof(T), out var value) ? (T)value : null;

    public override string ToString() => Kind switch
    {
        LocationKind.Exact => "= " + Name,
        LocationKind.PrefixNoRegex => "^~ " + Name,
        LocationKind.Regex => "~ " + Name,
        _ => Name,
    };
}

/// <summary>The http core settings of one location, resolved.</summary>
public sealed record CoreLocationSettings
{
    public required CompiledTemplate? Root { get; init; }

    public required bool RootIsAlias { get; init; }

    /// <summary>For <c>alias</c> in a prefix location: how much of the URI the location name covers.</summary>
    public required int AliasPrefixLength { get; init; }

    public required IReadOnlyList<CompiledTemplate> Index { get; init; }

    public required string DefaultType { get; init; }

    public required FrozenDictionary<string, string> Types { get; init; }

    public required FrozenDictionary<int, ErrorPageSpec> ErrorPages { get; init; }

    public required long ClientMaxBodySize { get; init; }

    public required TimeSpan KeepaliveTimeout { get; init; }

    /// <summary>The <c>Keep-Alive</c> response header ("timeout=N") when keepalive_timeout names a header time; else null.</summary>
    public required string? KeepaliveHeader { get; init; }

    public required long KeepaliveRequests { get; init; }

    public required string ServerTokens { get; init; }

    public required bool Etag { get; init; }

    public required string IfModifiedSince { get; init; }

    public required long? MaxRanges { get; init; }

    public required bool AbsoluteRedirect { get; init; }

    public required bool PortInRedirect { get; init; }

    public required bool ServerNameInRedirect { get; init; }

    public required bool LogNotFound { get; init; }

    public required bool RecursiveErrorPages { get; init; }

    public required bool MsiePadding { get; init; }

    public required bool MergeSlashes { get; init; }

    public required TimeSpan SendTimeout { get; init; }

    public required bool TcpNodelay { get; init; }

    public required TimeSpan ClientBodyTimeout { get; init; }

    /// <summary>client_body_buffer_size: a request body larger than this goes to a temp file, not memory.</summary>
    public required long ClientBodyBufferSize { get; init; }

    /// <summary>client_body_temp_path (default <c>client_body_temp</c> under the prefix).</summary>
    public required Core.TempFileDirectory ClientBodyTemp { get; init; }

    /// <summary>lingering_close, lingering_time, lingering_timeout.</summary>
    public required LingeringClose Lingering { get; init; }

    /// <summary>client_header_timeout (a server setting, inherited by its locations).</summary>
    public required TimeSpan ClientHeaderTimeout { get; init; }

    /// <summary>large_client_header_buffers: how many buffers, and how large each (a request or header line must fit in one).</summary>
    public required Sluice.Configuration.Directives.BufferSpec LargeHeaderBuffers { get; init; }

    /// <summary>The location's error log (its own <c>error_log</c>, else its parents', else the main one).</summary>
    public required Logging.ErrorLog ErrorLog { get; init; }
}

/// <summary>
/// nginx's lingering close: before a connection is closed after a response, what the client still sends is read
/// and dropped for up to <paramref name="Time"/> (each read within <paramref name="Timeout"/>), so a client that
/// is still sending its body gets the response rather than a reset.
/// </summary>
public sealed record LingeringClose(LingeringMode Mode, TimeSpan Time, TimeSpan Timeout);

/// <summary>lingering_close: off, on (when the client may still be sending: a body not read to its end), always.</summary>
public enum LingeringMode
{
    Off,
    On,
    Always,
}

/// <summary>A server block at runtime: its names, its locations, and its server-level location context.</summary>
public sealed class ServerRuntime
{
    public required int Index { get; init; }

    /// <summary>The first <c>server_name</c> (nginx's <c>$server_name</c>), "" when none.</summary>
    public required string PrimaryName { get; init; }

    public required LocationMatcher<LocationRuntime> Locations { get; init; }

    /// <summary>The server's own context, used when no location matches and for server-level phases.</summary>
    public required LocationRuntime ServerLocation { get; init; }

    public override string ToString() => PrimaryName.Length == 0 ? $"server #{Index}" : PrimaryName;
}

/// <summary>The virtual servers reachable through one listen address.</summary>
public sealed class AddressRuntime
{
    public required string AddressText { get; init; }

    public required ServerNameMatcher<ServerRuntime> Servers { get; init; }

    public required Http.Configuration.ListenOptions Options { get; init; }
}
