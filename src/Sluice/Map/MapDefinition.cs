using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Sluice.Configuration.Syntax;
using Sluice.Variables;

namespace Sluice.Map;

/// <summary>
/// A compiled <c>map</c> block: the variable it defines is the value of the first entry that matches the source
/// string, in nginx's order — exact key (case-insensitive), then with <c>hostnames</c> the longest leading wildcard
/// and the trailing wildcards, then regexes in order, else <see cref="Default"/> (empty when none).
/// </summary>
public sealed record MapDefinition(
    string Variable,
    VariableTemplate Source,
    bool Hostnames,
    bool Volatile,
    VariableTemplate? Default,
    FrozenDictionary<string, VariableTemplate> Exact,
    ImmutableArray<MapLeadingWildcard> LeadingWildcards,
    ImmutableArray<MapTrailingWildcard> TrailingWildcards,
    ImmutableArray<MapRegex> Regexes,
    SourceLocation Location);

/// <summary><c>*.example.com</c> (subdomains only) or <c>.example.com</c> (<see cref="MatchesDomainItself"/>: the domain too), lowercased.</summary>
public sealed record MapLeadingWildcard(string Domain, bool MatchesDomainItself, VariableTemplate Value);

/// <summary><c>www.example.*</c>: <see cref="Prefix"/> is <c>www.example.</c>, lowercased.</summary>
public sealed record MapTrailingWildcard(string Prefix, VariableTemplate Value);

/// <summary>A <c>~</c> (or caseless <c>~*</c>) key; captures and named groups are available to the value.</summary>
public sealed record MapRegex(Regex Regex, VariableTemplate Value);

/// <summary>Every <c>map</c> of one configuration load, in definition order.</summary>
public sealed class MapConfState
{
    public List<MapDefinition> Maps { get; } = [];
}
