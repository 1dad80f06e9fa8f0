using System.Text.RegularExpressions;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Syntax;

namespace Sluice.Http.Configuration;

/// <summary>How a location matches the URI.</summary>
public enum LocationKind
{
    /// <summary><c>location /prefix</c>.</summary>
    Prefix,

    /// <summary><c>location ^~ /prefix</c>: a prefix that, when longest, stops the regex search.</summary>
    PrefixNoRegex,

    /// <summary><c>location = /exact</c>.</summary>
    Exact,

    /// <summary><c>location ~ re</c> / <c>location ~* re</c>.</summary>
    Regex,

    /// <summary><c>location @name</c>: only reached by internal redirects.</summary>
    Named,
}

/// <summary>A <c>location { }</c> block (or the implicit one of an <c>if</c> or <c>limit_except</c>) while it is read.</summary>
public sealed class LocationBuilder
{
    public LocationBuilder(ConfScope scope, string name, LocationKind kind, Regex? regex, ServerBuilder server, LocationBuilder? parent)
    {
        Scope = scope;
        Name = name;
        Kind = kind;
        Regex = regex;
        Server = server;
        Parent = parent;
    }

    public ConfScope Scope { get; }

    /// <summary>The URI prefix, exact URI, regex source or @name.</summary>
    public string Name { get; }

    public LocationKind Kind { get; }

    public Regex? Regex { get; }

    public bool Caseless { get; init; }

    public ServerBuilder Server { get; }

    public LocationBuilder? Parent { get; }

    public List<LocationBuilder> Children { get; } = [];

    public SourceLocation Location => Scope.Location;

    public bool Internal { get; set; }
}
