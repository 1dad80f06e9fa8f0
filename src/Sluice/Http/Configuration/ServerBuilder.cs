using System.Text.RegularExpressions;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Syntax;

namespace Sluice.Http.Configuration;

/// <summary>A <c>server { }</c> block while it is read.</summary>
public sealed class ServerBuilder
{
    public ServerBuilder(ConfScope scope, int index)
    {
        Scope = scope;
        Index = index;
    }

    public ConfScope Scope { get; }

    /// <summary>Position among the http block's servers (nginx's default-server tie break).</summary>
    public int Index { get; }

    public SourceLocation Location => Scope.Location;

    /// <summary>True once a <c>listen</c> was given; otherwise nginx listens on *:80 (root) or *:8000.</summary>
    public bool HasListen { get; set; }

    public List<ServerNameEntry> Names { get; } = [];

    /// <summary>The names the server answers to: without <c>server_name</c> nginx gives it the empty name "".</summary>
    public IReadOnlyList<ServerNameEntry> EffectiveNames => Names.Count > 0 ? Names : [new ServerNameEntry("", null, Location)];

    /// <summary>The server's own locations, in configuration order (nested ones hang off their parent).</summary>
    public List<LocationBuilder> Locations { get; } = [];

    /// <summary>Whether any listen of this server has <c>ssl</c>.</summary>
    public bool HasSslListen { get; set; }
}

/// <summary>One <c>server_name</c> entry: exact, wildcard (<c>*.a.com</c>, <c>a.*</c>, <c>.a.com</c>) or regex.</summary>
public sealed record ServerNameEntry(string Name, Regex? Regex, SourceLocation Location);
