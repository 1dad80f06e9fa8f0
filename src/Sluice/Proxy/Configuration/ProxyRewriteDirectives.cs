using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Values;
using Sluice.Http.Configuration;
using S = Sluice.Proxy.Configuration.ProxySettings;

namespace Sluice.Proxy.Configuration;

/// <summary>
/// The rewriting directives of the proxy module: <c>proxy_redirect</c> (Location and Refresh headers) and
/// <c>proxy_cookie_domain</c>, <c>proxy_cookie_path</c>, <c>proxy_cookie_flags</c> (Set-Cookie). Each takes
/// rules that accumulate in a block, or <c>off</c>, and nginx refuses mixing the two in one block.
/// </summary>
internal static class ProxyRewriteDirectives
{
    public static void Redirect(DirectiveCall call) => AddRule(call, S.Redirect, offOrDefault: true, () =>
    {
        var pattern = call.Args[0];
        if (call.Args.Length == 1)
        {
            return RedirectToProxyPass(call);
        }

        return pattern.StartsWith('~')
            ? RegexRule(call, pattern)
            : new TextRewrite(call.Template(pattern), call.Template(call.Args[1]));
    });

    /// <summary>Domains match caselessly; a leading dot is ignored on both sides.</summary>
    public static void CookieDomain(DirectiveCall call) => AddRule(call, S.CookieDomain, offOrDefault: false, () =>
    {
        var pattern = call.Args[0];
        if (pattern.StartsWith('~'))
        {
            return new RegexRewrite(CompileRegex(call, pattern[1..], caseless: true), call.Template(call.Args[1]));
        }

        var compiled = call.Template(pattern.StartsWith('.') ? pattern[1..] : pattern);
        var replacement = call.Args[1];
        return new TextRewrite(compiled, call.Template(replacement.StartsWith('.') ? replacement[1..] : replacement));
    });

    public static void CookiePath(DirectiveCall call) => AddRule(call, S.CookiePath, offOrDefault: false, () =>
    {
        var pattern = call.Args[0];
        return pattern.StartsWith('~')
            ? RegexRule(call, pattern)
            : new TextRewrite(call.Template(pattern), call.Template(call.Args[1]));
    });

    public static void CookieFlags(DirectiveCall call) => AddRule(call, S.CookieFlags, offOrDefault: false, () =>
    {
        var cookie = call.Args[0];
        var flags = call.Args.Skip(1);
        return cookie.StartsWith('~')
            ? new CookieFlagsRule(CompileRegex(call, cookie[1..], caseless: true), null, [.. flags.Select(call.Template)])
            : new CookieFlagsRule(null, call.Template(cookie), [.. flags.Select(call.Template)]);
    });

    /// <summary>
    /// The bookkeeping all four share: <c>off</c> is refused after rules in the same block and anything is
    /// refused after <c>off</c>; a single word other than <c>off</c> (or <c>default</c> for proxy_redirect) is invalid.
    /// </summary>
    private static void AddRule<T>(DirectiveCall call, Setting<ProxyRules<T>?> setting, bool offOrDefault, Func<T> build)
    {
        call.Scope.TryGetHere(setting, out var current);
        if (current is { Enabled: false })
        {
            throw call.Duplicate();
        }

        if (call.Args.Length == 1)
        {
            var word = call.Args[0];
            if (word == "off")
            {
                if (current is not null)
                {
                    throw call.Duplicate();
                }

                call.Scope.Replace<ProxyRules<T>?>(setting, new ProxyRules<T>(false, []), call.Location);
                return;
            }

            if (!offOrDefault || word != "default")
            {
                throw call.Error($"invalid parameter \"{word}\"");
            }
        }

        var rules = current?.Rules ?? ImmutableArray<T>.Empty;
        call.Scope.Replace<ProxyRules<T>?>(setting, new ProxyRules<T>(true, rules.Add(build())), call.Location);
    }

    /// <summary><c>~re</c> is case-sensitive, <c>~*re</c> caseless.</summary>
    private static RegexRewrite RegexRule(DirectiveCall call, string pattern)
    {
        var caseless = pattern.StartsWith("~*", StringComparison.Ordinal);
        return new RegexRewrite(CompileRegex(call, pattern[(caseless ? 2 : 1)..], caseless), call.Template(call.Args[1]));
    }

    /// <summary>As in nginx, a named capture <c>(?&lt;name&gt;…)</c> defines <c>$name</c> for the replacement and everything else.</summary>
    private static Regex CompileRegex(DirectiveCall call, string pattern, bool caseless) => call.CompileHttpRegex(pattern, caseless);

    /// <summary>
    /// <c>proxy_redirect default</c> turns the proxy_pass of the same block into a rule (its URL back to the
    /// location, or its host root back to "/"), so it must come after a proxy_pass without variables.
    /// </summary>
    private static DefaultRedirect RedirectToProxyPass(DirectiveCall call)
    {
        call.Scope.TryGetHere(S.Pass, out var pass);
        return pass switch
        {
            VariableProxyPass => throw call.Error("\"proxy_redirect default\" cannot be used with \"proxy_pass\" directive with variables"),
            StaticProxyPass { Uri.Length: > 0 } target => new DefaultRedirect(target.Url, target.LocationPrefix ?? ""),
            StaticProxyPass target => new DefaultRedirect(target.Url + "/", "/"),
            _ => throw call.Error("\"proxy_redirect default\" should be placed after the \"proxy_pass\" directive"),
        };
    }
}
