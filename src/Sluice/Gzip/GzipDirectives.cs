using Sluice.Configuration.Directives;
using static Sluice.Configuration.Directives.DirectiveArity;
using static Sluice.Configuration.Directives.DirectiveContext;
using S = Sluice.Gzip.GzipSettings;

namespace Sluice.Gzip;

/// <summary>nginx's <c>ngx_http_gzip_filter_module</c> and <c>ngx_http_gzip_static_module</c>.</summary>
internal static class GzipDirectives
{
    public static void Register(DirectiveTable table)
    {
        void Add(string name, DirectiveContext contexts, DirectiveArity arity, DirectiveHandler handler, string module = "http_gzip") =>
            table.Add(new DirectiveSpec(name, contexts, arity, handler, DirectiveSupport.NotImplemented) { Module = module });

        Add("gzip", HttpServerLocation | LocationIf, DirectiveArity.Flag, Slots.Flag(S.Enable));
        Add("gzip_buffers", HttpServerLocation, Take2, Slots.Buffers(S.Buffers));
        Add("gzip_types", HttpServerLocation, OneOrMore, GzipTypes);
        Add("gzip_comp_level", HttpServerLocation, Take1, Slots.Number(S.CompressionLevel, 1, 9));
        Add("gzip_window", HttpServerLocation, Take1, call => PowerOfTwoSize(call, S.WindowBits, 32 * 1024, 15, "must be 512, 1k, 2k, 4k, 8k, 16k, or 32k"));
        Add("gzip_hash", HttpServerLocation, Take1, call => PowerOfTwoSize(call, S.MemoryLevel, 128 * 1024, 9, "must be 512, 1k, 2k, 4k, 8k, 16k, 32k, 64k, or 128k"));
        Add("postpone_gzipping", HttpServerLocation, Take1, Slots.Size(S.PostponeGzipping));
        Add("gzip_no_buffer", HttpServerLocation, DirectiveArity.Flag, Slots.Flag(S.NoBuffer));
        Add("gzip_min_length", HttpServerLocation, Take1, Slots.Size(S.MinLength));

        var staticModes = new Dictionary<string, GzipStatic>(StringComparer.Ordinal) { ["off"] = GzipStatic.Off, ["on"] = GzipStatic.On, ["always"] = GzipStatic.Always };
        Add("gzip_static", HttpServerLocation, Take1, Slots.Enum(S.Static, staticModes), "http_gzip_static");
    }

    /// <summary>
    /// A size that must be a power of two from 512 bytes to <paramref name="largest"/>, stored as zlib's parameter:
    /// <paramref name="largestCode"/> for the largest size, one less per halving (nginx's post handlers).
    /// </summary>
    private static void PowerOfTwoSize(DirectiveCall call, Setting<int> setting, long largest, int largestCode, string rule)
    {
        call.EnsureNotSet(setting);
        var size = call.ParseSize(call.Args[0]);
        var code = largestCode;
        for (var candidate = largest; candidate > 256; candidate >>= 1, code--)
        {
            if (candidate == size)
            {
                call.Set(setting, code);
                return;
            }
        }

        throw call.DirectiveError(rule);
    }

    /// <summary>
    /// nginx's <c>ngx_http_types_slot</c>: no duplicate-directive check — lines of one block add up; a type listed
    /// twice (text/html is always there) is a warning; <c>*</c> means every type and ends the list for the block.
    /// </summary>
    private static void GzipTypes(DirectiveCall call)
    {
        var current = call.Scope.TryGetHere(S.Types, out var here) ? here : MimeTypeFilter.HtmlOnly;
        if (current.AllTypes)
        {
            return;
        }

        var types = current.Types.ToBuilder();
        foreach (var word in call.Args)
        {
            if (word == "*")
            {
                call.Scope.Replace(S.Types, MimeTypeFilter.Any, call.Location);
                return;
            }

            var type = word.ToLowerInvariant();
            if (types.Contains(type))
            {
                call.Warn($"duplicate MIME type \"{type}\"");
                continue;
            }

            types.Add(type);
        }

        call.Scope.Replace(S.Types, current with { Types = types.ToImmutable() }, call.Location);
    }
}
