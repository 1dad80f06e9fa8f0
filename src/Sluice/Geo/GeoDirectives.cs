using System.Net;
using Sluice.Configuration;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Syntax;
using Sluice.Configuration.Values;
using Sluice.Http.Configuration;
using static Sluice.Configuration.Directives.DirectiveArity;

namespace Sluice.Geo;

/// <summary>nginx's <c>ngx_http_geo_module</c>: <c>geo [$source] $variable { … }</c>.</summary>
internal static class GeoDirectives
{
    public static void Register(DirectiveTable table) =>
        table.Add(new DirectiveSpec("geo", DirectiveContext.Http, Block | Take12, GeoBlock, DirectiveSupport.NotImplemented) { Module = "http_geo" });

    private static void GeoBlock(DirectiveCall call)
    {
        var variables = call.Http().Variables;
        var name = VariableName(call, call.Args[0]);
        string? source = null;
        if (call.Args.Length == 2)
        {
            source = name;
            if (source.Length == 0)
            {
                throw call.Error("invalid variable name \"$\"");
            }

            variables.Use(source);
            name = VariableName(call, call.Args[1]);
        }

        variables.DefineChangeable(name, call.Location);

        var reader = new GeoBlockReader(call.Compiler);
        FreeformBlock.Read(call.Directive.Block ?? [], reader.Add);

        call.Compiler.State<GeoConfState>().Geos.Add(new GeoDefinition(
            name.ToLowerInvariant(),
            source?.ToLowerInvariant(),
            [.. reader.Proxies],
            reader.ProxyRecursive,
            reader.UsesRanges,
            reader.Networks.ToNetworks(),
            reader.UsesRanges ? reader.Ranges.ToRanges() : [],
            reader.RangeDefault ?? "",
            call.Location));
    }

    private static string VariableName(DirectiveCall call, string word) =>
        word.StartsWith('$') ? word[1..] : throw call.Error($"invalid variable name \"{word}\"");

    /// <summary>The statements of one geo block (nginx's <c>ngx_http_geo</c> handler and its helpers).</summary>
    private sealed class GeoBlockReader(ConfigCompiler compiler)
    {
        // nginx creates its radix trees at the first network entry; "ranges" must come before that.
        private bool _hasNetworkEntries;

        public GeoNetworkTable Networks { get; } = new();

        public GeoRangeTable Ranges { get; } = new();

        public List<NginxCidr> Proxies { get; } = [];

        public bool UsesRanges { get; private set; }

        public bool ProxyRecursive { get; private set; }

        public string? RangeDefault { get; private set; }

        public void Add(ConfigDirective statement)
        {
            var words = FreeformBlock.Words(statement);
            var location = statement.Location;
            if (words.Count == 1 && words[0] == "ranges")
            {
                UsesRanges = !_hasNetworkEntries
                    ? true
                    : throw new ConfigException("the \"ranges\" directive must be the first directive inside \"geo\" block", location);
                return;
            }

            if (words.Count == 1 && words[0] == "proxy_recursive")
            {
                ProxyRecursive = true;
                return;
            }

            if (words.Count != 2)
            {
                throw new ConfigException("invalid number of the geo parameters", location);
            }

            switch (words[0])
            {
                case "include":
                    FreeformBlock.ReadIncluded(statement, Add);
                    break;
                case "proxy":
                    Proxies.Add(ParseNetwork(words[1], location));
                    break;
                default:
                    if (UsesRanges)
                    {
                        AddRange(words, location);
                    }
                    else
                    {
                        AddNetwork(words, location);
                    }

                    break;
            }
        }

        private void AddNetwork(IReadOnlyList<string> words, SourceLocation location)
        {
            _hasNetworkEntries = true;
            if (words[0] == "default")
            {
                AddNetwork(new NginxCidr(IPAddress.Any, 0), words[0], words[1], location);
                AddNetwork(new NginxCidr(IPAddress.IPv6Any, 0), words[0], words[1], location);
                return;
            }

            if (words[0] == "delete")
            {
                if (!Networks.Delete(ParseNetwork(words[1], location)))
                {
                    compiler.Warn($"no network \"{words[1]}\" to delete", location);
                }

                return;
            }

            AddNetwork(ParseNetwork(words[0], location), words[0], words[1], location);
        }

        private void AddNetwork(NginxCidr network, string text, string value, SourceLocation location)
        {
            if (Networks.Add(network, value) is { } old)
            {
                compiler.Warn($"duplicate network \"{text}\", value: \"{value}\", old value: \"{old}\"", location);
            }
        }

        private void AddRange(IReadOnlyList<string> words, SourceLocation location)
        {
            if (words[0] == "default")
            {
                if (RangeDefault is not null)
                {
                    compiler.Warn($"duplicate default geo range value: \"{words[1]}\", old value: \"{RangeDefault}\"", location);
                }

                RangeDefault = words[1];
                return;
            }

            var delete = words[0] == "delete";
            var text = delete ? words[1] : words[0];
            var dash = text.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0
                || !NginxUrl.TryParseIPv4(text[..dash], out var start)
                || !NginxUrl.TryParseIPv4(text[(dash + 1)..], out var end)
                || ToNumber(start) > ToNumber(end))
            {
                throw new ConfigException($"invalid range \"{text}\"", location);
            }

            if (delete)
            {
                if (!Ranges.Delete(ToNumber(start), ToNumber(end)))
                {
                    compiler.Warn($"no address range \"{text}\" to delete", location);
                }

                return;
            }

            Ranges.Add(ToNumber(start), ToNumber(end), words[1], text, location, warning => compiler.Warn(warning, location));
        }

        /// <summary>nginx's <c>ngx_http_geo_cidr_value</c>: 255.255.255.255 is taken as it is, a network with host bits is warned about.</summary>
        private NginxCidr ParseNetwork(string text, SourceLocation location)
        {
            if (text == "255.255.255.255")
            {
                return new NginxCidr(IPAddress.Broadcast, 32);
            }

            if (!NginxCidr.TryParse(text, out var network, out var hostBitsDropped))
            {
                throw new ConfigException($"invalid network \"{text}\"", location);
            }

            if (hostBitsDropped)
            {
                compiler.Warn($"low address bits of {text} are meaningless", location);
            }

            return network;
        }

        private static uint ToNumber(IPAddress address) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());
    }
}
