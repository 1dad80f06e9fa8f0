using System.Text.RegularExpressions;
using Sluice.Configuration;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Syntax;
using Sluice.Configuration.Values;
using Sluice.Http.Configuration;
using Sluice.Variables;
using static Sluice.Configuration.Directives.DirectiveArity;

namespace Sluice.Map;

/// <summary>nginx's <c>ngx_http_map_module</c>: <c>map</c> blocks and the sizing of their key hash.</summary>
internal static class MapDirectives
{
    public static void Register(DirectiveTable table)
    {
        table.Add(new DirectiveSpec("map", DirectiveContext.Http, Block | Take2, MapBlock, DirectiveSupport.NotImplemented) { Module = "http_map" });

        // Sluice's maps are dictionaries; the sizes only decide which configurations nginx refuses.
        table.Add(new DirectiveSpec("map_hash_max_size", DirectiveContext.Http, Take1, Slots.Number(MapSettings.HashMaxSize), DirectiveSupport.Accepted) { Module = "http_map" });
        table.Add(new DirectiveSpec("map_hash_bucket_size", DirectiveContext.Http, Take1, Slots.Number(MapSettings.HashBucketSize), DirectiveSupport.Accepted) { Module = "http_map" });
    }

    private static void MapBlock(DirectiveCall call)
    {
        // The first map fixes the hash sizes: a map_hash_* directive after it is "duplicate" in nginx.
        call.Scope.TrySet(MapSettings.HashMaxSize, call.Scope.Get(MapSettings.HashMaxSize), call.Location);
        call.Scope.TrySet(MapSettings.HashBucketSize, call.Scope.Get(MapSettings.HashBucketSize), call.Location);

        var source = call.Template(call.Args[0]);
        var name = call.Args[1];
        if (!name.StartsWith('$'))
        {
            throw call.Error($"invalid variable name \"{name}\"");
        }

        var variables = call.Http().Variables;
        variables.DefineChangeable(name[1..], call.Location);

        var reader = new MapBlockReader(variables);
        FreeformBlock.Read(call.Directive.Block ?? [], statement => reader.Add(statement, statement.Location));

        var warning = NginxHashSizing.Check(
            "map_hash",
            reader.Keys.ExactKeys,
            call.Scope.Get(MapSettings.HashMaxSize),
            NginxHashSizing.AlignBucketSize(call.Scope.Get(MapSettings.HashBucketSize)));
        if (warning is not null)
        {
            call.Compiler.Warn(warning, null);
        }

        call.Compiler.State<MapConfState>().Maps.Add(new MapDefinition(
            name[1..].ToLowerInvariant(),
            source,
            reader.Hostnames,
            reader.Volatile,
            reader.Default,
            reader.Keys.Exact(),
            reader.Keys.Leading(),
            reader.Keys.Trailing(),
            [.. reader.Regexes],
            call.Location));
    }

    /// <summary>
    /// The statements of one map block (nginx's <c>ngx_http_map</c> handler). Values and regexes are compiled
    /// against the statement of the map's own file that led to them — for lines of an included file, the
    /// <c>include</c> line — because nginx reports those errors through the map block's saved file position.
    /// </summary>
    private sealed class MapBlockReader(VariableRegistry variables)
    {
        public MapKeyTable Keys { get; } = new();

        public List<MapRegex> Regexes { get; } = [];

        public VariableTemplate? Default { get; private set; }

        public bool Hostnames { get; private set; }

        public bool Volatile { get; private set; }

        public void Add(ConfigDirective statement, SourceLocation compileLocation)
        {
            var words = FreeformBlock.Words(statement);
            var key = words[0];
            if (words.Count == 1 && key == "hostnames")
            {
                Hostnames = true;
                return;
            }

            if (words.Count == 1 && key == "volatile")
            {
                Volatile = true;
                return;
            }

            if (words.Count != 2)
            {
                throw new ConfigException("invalid number of the map parameters", statement.Location);
            }

            if (key == "include")
            {
                FreeformBlock.ReadIncluded(statement, included => Add(included, compileLocation));
                return;
            }

            var value = VariableTemplate.Parse(words[1], compileLocation);
            variables.Use(value);

            if (key == "default")
            {
                Default = Default is null ? value : throw new ConfigException("duplicate default map parameter", statement.Location);
                return;
            }

            if (key.StartsWith('~'))
            {
                Regexes.Add(new MapRegex(CompileRegex(key[1..], compileLocation), value));
                return;
            }

            Keys.Add(key.StartsWith('\\') ? key[1..] : key, Hostnames, value, statement.Location);
        }

        /// <summary><c>~re</c> or <c>~*re</c>; named groups become variables, as with any regex nginx compiles for http.</summary>
        private Regex CompileRegex(string pattern, SourceLocation location)
        {
            var caseless = pattern.StartsWith('*');
            var regex = NginxRegex.Compile(caseless ? pattern[1..] : pattern, caseless, location);
            foreach (var group in NginxRegex.NamedGroups(regex).Keys)
            {
                variables.DefineCapture(group, location);
            }

            return regex;
        }
    }
}

/// <summary>Settings of nginx's <c>ngx_http_map_module</c> (http level).</summary>
public static class MapSettings
{
    public static readonly Setting<long> HashMaxSize = new("map_hash_max_size", 2048);

    /// <summary>nginx's default is the CPU cache line, 64 bytes on the machines it is measured against.</summary>
    public static readonly Setting<long> HashBucketSize = new("map_hash_bucket_size", 64);
}
