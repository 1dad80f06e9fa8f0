using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using Sluice.Http.Configuration;
using static Sluice.Configuration.Directives.DirectiveContext;

namespace Sluice.Headers;

/// <summary><c>add_header</c>, <c>add_trailer</c> and <c>expires</c> (nginx's <c>ngx_http_headers_filter_module</c>).</summary>
internal static class HeadersDirectives
{
    public static void Register(DirectiveTable table)
    {
        const DirectiveContext contexts = HttpServerLocation | LocationIf;
        void Add(string name, DirectiveArity arity, DirectiveHandler handler, DirectiveSupport support) =>
            table.Add(new DirectiveSpec(name, contexts, arity, handler, support) { Module = "http_headers" });

        Add("expires", DirectiveArity.Take12, Expires, DirectiveSupport.Implemented);
        Add("add_header", DirectiveArity.Take23, call => AddHeader(call, HeadersSettings.Headers), DirectiveSupport.Implemented);
        Add("add_trailer", DirectiveArity.Take23, call => AddHeader(call, HeadersSettings.Trailers), DirectiveSupport.NotImplemented);
    }

    private static void AddHeader(DirectiveCall call, ListSetting<HeaderEntry> setting)
    {
        var value = call.Template(call.Args[1]);
        var always = false;
        if (call.Args.Length == 3)
        {
            if (call.Args[2] != "always")
            {
                throw call.Error($"invalid parameter \"{call.Args[2]}\"");
            }

            always = true;
        }

        call.Scope.ListHere(setting).Add(new HeaderEntry(call.Args[0], value, always));
    }

    private static void Expires(DirectiveCall call)
    {
        call.EnsureNotSet(HeadersSettings.Expires);
        var mode = ExpiresMode.Access;
        var text = call.Args[0];
        if (call.Args.Length == 2)
        {
            if (call.Args[0] != "modified")
            {
                throw call.DirectiveError("invalid value");
            }

            mode = ExpiresMode.Modified;
            text = call.Args[1];
        }

        var template = call.Template(text);
        var spec = template.IsLiteral
            ? ParseExpires(call, text, mode)
            : new ExpiresSpec(mode, 0, template);
        call.Set<ExpiresSpec?>(HeadersSettings.Expires, spec);
    }

    /// <summary>nginx's <c>ngx_http_parse_expires</c>: <c>epoch</c>, <c>max</c>, <c>off</c>, <c>@time</c>, or a signed time.</summary>
    private static ExpiresSpec ParseExpires(DirectiveCall call, string text, ExpiresMode mode)
    {
        if (mode != ExpiresMode.Modified)
        {
            switch (text)
            {
                case "epoch":
                    return new ExpiresSpec(ExpiresMode.Epoch, 0, null);
                case "max":
                    return new ExpiresSpec(ExpiresMode.Max, 0, null);
                case "off":
                    return new ExpiresSpec(ExpiresMode.Off, 0, null);
            }
        }

        var negative = false;
        var time = text.AsSpan();
        if (time.StartsWith("@"))
        {
            if (mode == ExpiresMode.Modified)
            {
                throw call.DirectiveError("daily time cannot be used with \"modified\" parameter");
            }

            mode = ExpiresMode.Daily;
            time = time[1..];
        }
        else if (time.StartsWith("+") || time.StartsWith("-"))
        {
            negative = time[0] == '-';
            time = time[1..];
        }

        if (!NginxValues.TryParseSeconds(time, out var seconds))
        {
            throw call.DirectiveError("invalid value");
        }

        if (mode == ExpiresMode.Daily && seconds > 24 * 60 * 60)
        {
            throw call.DirectiveError("daily time value must be less than 24 hours");
        }

        return new ExpiresSpec(mode, negative ? -seconds : seconds, null);
    }
}
