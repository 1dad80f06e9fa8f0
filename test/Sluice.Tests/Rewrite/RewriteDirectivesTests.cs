using Sluice.Configuration.Directives;
using Sluice.Http.Configuration;
using Sluice.Rewrite;
using Sluice.Tests.Configuration;

namespace Sluice.Tests.Rewrite;

public sealed class RewriteDirectivesTests
{
    private static string? ErrorInServer(string body) => ConfigTestHelper.LoadHttp($"server {{ listen 8080; {body} }}").FirstError();

    [Theory]
    [InlineData("if $request_method = POST { return 405; }", "invalid condition \"$request_method\"")]
    [InlineData("if ( ) { }", "invalid condition \")\"")]
    [InlineData("if () { }", "invalid condition \")\"")]
    [InlineData("if ( { }", "invalid condition \"(\"")]
    [InlineData("if ($uri == x) { }", "unexpected \"==\" in condition")]
    [InlineData("if ($uri = x y) { }", "invalid condition \"$uri\"")]
    [InlineData("if (-z $uri) { }", "invalid condition \"-z\"")]
    [InlineData("if (-f $uri x) { }", "invalid condition \"-f\"")]
    [InlineData("if (!-q $request_filename) { }", "invalid condition \"!-q\"")]
    [InlineData("if ($) { }", "invalid condition \"$\"")]
    [InlineData("if ($uri ~ \"(x\") { }", "pcre2_compile() failed: missing closing parenthesis in \"(x\"")]
    [InlineData("if ($uri ~ (?<uri>x)) { }", "the duplicate \"uri\" variable")]
    [InlineData("if ($uri) { if ($args) { } }", "\"if\" directive is not allowed here")]
    [InlineData("if ($uri) { root /tmp; }", "\"root\" directive is not allowed here")]
    [InlineData("set $uri 1;", "the duplicate \"uri\" variable")]
    [InlineData("set foo 1;", "invalid variable name \"foo\"")]
    [InlineData("set $ 1;", "invalid variable name \"$\"")]
    [InlineData("set $a \"x$\";", "invalid variable name")]
    [InlineData("return /x;", "invalid return code \"/x\"")]
    [InlineData("return -1;", "invalid return code \"-1\"")]
    [InlineData("return 1000;", "invalid return code \"1000\"")]
    [InlineData("return http://x y;", "invalid return code \"http://x\"")]
    [InlineData("rewrite ^/(.*) \"\" last;", "empty replacement")]
    [InlineData("rewrite ^/(.*) /$1 perm;", "invalid parameter \"perm\"")]
    [InlineData("rewrite \"(\" /x;", "pcre2_compile() failed: missing closing parenthesis in \"(\"")]
    [InlineData("rewrite_log on; rewrite_log off;", "\"rewrite_log\" directive is duplicate")]
    [InlineData("uninitialized_variable_warn maybe;", "invalid value \"maybe\" in \"uninitialized_variable_warn\" directive, it must be \"on\" or \"off\"")]
    public void Errors_are_nginx_s(string body, string message) => Assert.Equal(message + " in F:3", ErrorInServer(body));

    [Theory]
    [InlineData("if ($a = b) { return 200; }", "a")]
    [InlineData("if ($a-b) { }", "a-b")]
    [InlineData("return 302 $missing;", "missing")]
    public void Condition_and_text_variables_must_exist(string body, string name) =>
        Assert.Equal($"unknown \"{name}\" variable", ErrorInServer(body));

    [Theory]
    [InlineData("if ($uri ~ (?<captured>x)) { return 200 $captured; }")]
    [InlineData("rewrite ^/(?<rest>.*) /$rest break;")]
    [InlineData("set $args 1; set $limit_rate 10; set $x $1; return 200 $x;")]
    [InlineData("set $a$b 1;")]
    [InlineData("if (!-e $request_filename) { rewrite ^ /index.html last; }")]
    [InlineData("if ($request_method !~ ^(GET|POST|HEAD|OPTIONS)$ ) { return 405; }")]
    [InlineData("return 301 https://$server_name$request_uri; return http://x; return 0; return 999 text;")]
    [InlineData("location / { if ($uri) { root /tmp; add_header X 1; expires 1h; set $y 2; break; } }")]
    public void Valid_forms_are_accepted(string body) =>
        ConfigTestHelper.LoadHttp($"server {{ listen 8080; {body} }}").AssertValid();

    [Fact]
    public void Steps_are_stored_in_order_per_block()
    {
        var server = CompiledConfig.Http("""
            server { listen 8080;
                rewrite ^/old/(.*)$ http://example.com/$1? permanent;
                if ($http_x_debug) { return 403 "no"; }
                set $tier free;
                location / { if ($uri ~* \.php$) { break; } }
            }
            """).Servers[0];

        Assert.True(server.Scope.TryGetHere(RewriteSettings.Program, out var program));
        var steps = program!.Steps;
        var rule = Assert.IsType<RewriteRuleStep>(steps[0]);
        Assert.Equal(RewriteEnding.Permanent, rule.Ending);
        Assert.True(rule.RedirectUrl);
        Assert.False(rule.AppendArgs);
        Assert.Equal("http://example.com/$1", rule.Replacement.Source);

        var serverIf = Assert.IsType<IfStep>(steps[1]);
        Assert.Equal(new VariableIsTrue("http_x_debug"), serverIf.Condition);
        Assert.Equal(DirectiveContext.ServerIf, serverIf.Body.Kind);
        Assert.True(serverIf.Body.TryGetHere(RewriteSettings.Program, out var inner));
        var ret = Assert.IsType<ReturnStep>(Assert.Single(inner!.Steps));
        Assert.Equal(403, ret.Code);

        Assert.Equal("tier", Assert.IsType<SetStep>(steps[2]).Variable);

        var location = server.Locations[0];
        Assert.True(location.Scope.TryGetHere(RewriteSettings.Program, out var locationProgram));
        var locationIf = Assert.IsType<IfStep>(Assert.Single(locationProgram!.Steps));
        Assert.Equal(DirectiveContext.LocationIf, locationIf.Body.Kind);
        Assert.IsType<LocationBuilder>(locationIf.Body.Owner);
        var match = Assert.IsType<VariableMatches>(locationIf.Condition);
        Assert.Matches(match.Pattern, "/INDEX.PHP");
        Assert.Empty(location.Children);
    }

    [Fact]
    public void File_tests_keep_their_kind_and_negation()
    {
        var server = CompiledConfig.Http("server { listen 8080; if (!-d $request_filename) { return 404; } }").Servers[0];
        server.Scope.TryGetHere(RewriteSettings.Program, out var program);
        var condition = Assert.IsType<FileTest>(Assert.IsType<IfStep>(program!.Steps[0]).Condition);
        Assert.Equal(FileTestKind.Directory, condition.Kind);
        Assert.True(condition.Negated);
    }
}
