namespace Sluice.Configuration.Directives;

/// <summary>The blocks a directive may appear in — nginx's <c>NGX_*_CONF</c> context bits.</summary>
[Flags]
public enum DirectiveContext
{
    None = 0,

    /// <summary>Top level of the file (<c>NGX_MAIN_CONF</c>).</summary>
    Main = 1 << 0,

    /// <summary><c>events { }</c>.</summary>
    Events = 1 << 1,

    /// <summary><c>http { }</c> (<c>NGX_HTTP_MAIN_CONF</c>).</summary>
    Http = 1 << 2,

    /// <summary><c>server { }</c> inside http.</summary>
    Server = 1 << 3,

    /// <summary><c>location { }</c>.</summary>
    Location = 1 << 4,

    /// <summary><c>upstream { }</c>.</summary>
    Upstream = 1 << 5,

    /// <summary><c>if { }</c> directly in a server.</summary>
    ServerIf = 1 << 6,

    /// <summary><c>if { }</c> in a location.</summary>
    LocationIf = 1 << 7,

    /// <summary><c>limit_except { }</c>.</summary>
    LimitExcept = 1 << 8,

    /// <summary>Every context (<c>NGX_ANY_CONF</c>), as for <c>include</c>.</summary>
    Any = Main | Events | Http | Server | Location | Upstream | ServerIf | LocationIf | LimitExcept,

    HttpServer = Http | Server,
    HttpServerLocation = Http | Server | Location,
    ServerLocation = Server | Location,
}
