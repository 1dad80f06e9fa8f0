using Sluice.Configuration;
using Sluice.Proxy.Configuration;
using Sluice.Tests.Configuration;
using Sluice.Tests.Upstreams;

namespace Sluice.Tests.Proxy;

public sealed class ProxyDirectivesTests
{
    private const string Location = "server { listen 18080; location / { proxy_pass http://127.0.0.1:8001; ";

    [Theory]
    [InlineData("proxy_pass backend;", "invalid URL prefix in F:3")]
    [InlineData("proxy_pass http://;", "no host in upstream \"\" in F:3")]
    [InlineData("proxy_pass http://127.0.0.1:0;", "invalid port in upstream \"127.0.0.1:0\" in F:3")]
    [InlineData("proxy_pass http://127.0.0.1; proxy_pass http://127.0.0.2;", "\"proxy_pass\" directive is duplicate in F:3")]
    [InlineData("proxy_pass http://$host; proxy_pass http://127.0.0.2;", "\"proxy_pass\" directive is duplicate in F:3")]
    [InlineData("proxy_pass http://$;", "invalid variable name in F:3")]
    [InlineData("proxy_redirect default; proxy_pass http://127.0.0.1;", "\"proxy_redirect default\" should be placed after the \"proxy_pass\" directive in F:3")]
    [InlineData("proxy_pass http://$host; proxy_redirect default;", "\"proxy_redirect default\" cannot be used with \"proxy_pass\" directive with variables in F:3")]
    [InlineData("proxy_redirect on;", "invalid parameter \"on\" in F:3")]
    [InlineData("proxy_redirect off; proxy_redirect / /x;", "\"proxy_redirect\" directive is duplicate in F:3")]
    [InlineData("proxy_redirect / /x; proxy_redirect off;", "\"proxy_redirect\" directive is duplicate in F:3")]
    [InlineData("proxy_redirect ~(a /x;", "pcre2_compile() failed: missing closing parenthesis in \"(a\" in F:3")]
    [InlineData("proxy_cookie_domain on;", "invalid parameter \"on\" in F:3")]
    [InlineData("proxy_cookie_path off; proxy_cookie_path off;", "\"proxy_cookie_path\" directive is duplicate in F:3")]
    [InlineData("proxy_cookie_flags off; proxy_cookie_flags one secure;", "\"proxy_cookie_flags\" directive is duplicate in F:3")]
    [InlineData("proxy_cookie_flags default;", "invalid parameter \"default\" in F:3")]
    [InlineData("proxy_store on; proxy_store off;", "\"proxy_store\" directive is duplicate in F:3")]
    [InlineData("proxy_store_access user:rwx;", "invalid value \"user:rwx\" in F:3")]
    [InlineData("proxy_bind 1.2.3;", "invalid address \"1.2.3\" in F:3")]
    [InlineData("proxy_bind [::1];", "invalid address \"[::1]\" in F:3")]
    [InlineData("proxy_bind 127.0.0.1 foo;", "invalid parameter \"foo\" in F:3")]
    [InlineData("proxy_bind off; proxy_bind off;", "\"proxy_bind\" directive is duplicate in F:3")]
    [InlineData("proxy_buffering maybe;", "invalid value \"maybe\" in \"proxy_buffering\" directive, it must be \"on\" or \"off\" in F:3")]
    [InlineData("proxy_read_timeout 5x;", "\"proxy_read_timeout\" directive invalid value in F:3")]
    [InlineData("proxy_buffers 8;", "invalid number of arguments in \"proxy_buffers\" directive in F:3")]
    [InlineData("proxy_buffers 0 4k;", "\"proxy_buffers\" directive invalid value in F:3")]
    [InlineData("proxy_buffers 8 32q;", "\"proxy_buffers\" directive invalid value in F:3")]
    [InlineData("proxy_http_version 2.0;", "invalid value \"2.0\" in F:3")]
    [InlineData("proxy_next_upstream error http_501;", "invalid value \"http_501\" in F:3")]
    [InlineData("proxy_next_upstream_tries x;", "\"proxy_next_upstream_tries\" directive invalid number in F:3")]
    [InlineData("proxy_ignore_headers Cookie;", "invalid value \"Cookie\" in F:3")]
    [InlineData("proxy_cache_methods PUT;", "invalid value \"PUT\" in F:3")]
    [InlineData("proxy_ssl_protocols TLSv1.4;", "invalid value \"TLSv1.4\" in F:3")]
    [InlineData("proxy_set_header Host;", "invalid number of arguments in \"proxy_set_header\" directive in F:3")]
    [InlineData("proxy_method GET; proxy_method POST;", "\"proxy_method\" directive is duplicate in F:3")]
    [InlineData("proxy_temp_path /tmp/p 1 2 3 4;", "invalid number of arguments in \"proxy_temp_path\" directive in F:3")]
    [InlineData("proxy_temp_path /tmp/p 5 6;", "\"proxy_temp_path\" directive invalid value in F:3")]
    [InlineData("proxy_cache $host; proxy_cache off;", "\"proxy_cache\" directive is duplicate in F:3")]
    [InlineData("proxy_store on; proxy_cache $host;", "\"proxy_cache\" directive is incompatible with \"proxy_store\" in F:3")]
    [InlineData("proxy_cache $host; proxy_store on;", "\"proxy_store\" directive is incompatible with \"proxy_cache\" in F:3")]
    [InlineData("proxy_cache_key $uri; proxy_cache_key $host;", "\"proxy_cache_key\" directive is duplicate in F:3")]
    [InlineData("proxy_cache_valid 4xx 1m;", "invalid status \"4xx\" in F:3")]
    [InlineData("proxy_cache_valid 200 forever;", "invalid time value \"forever\" in F:3")]
    [InlineData("proxy_ssl_password_file /nonexistent/pass;", "open() \"/nonexistent/pass\" failed (2: No such file or directory) in F:3")]
    [InlineData("proxy_ssl_password_file pass;", "open() \"/sluice-test/conf/pass\" failed (2: No such file or directory) in F:3")]
    [InlineData("proxy_cache_valid 99 1m;", "invalid status \"99\" in F:3")]
    public void Rejects_what_nginx_rejects_in_a_location(string directives, string error)
    {
        var result = ConfigTestHelper.LoadHttp("server { listen 18080; location / { " + directives + " } }");
        Assert.Equal(error, result.FirstError());
    }

    [Theory]
    [InlineData("location ~ ^/api/ { proxy_pass http://127.0.0.1:8001/v2/; }")]
    [InlineData("location @fallback { proxy_pass http://127.0.0.1:8001/; }")]
    [InlineData("location / { limit_except GET { proxy_pass http://127.0.0.1/x; } }")]
    public void A_uri_part_is_refused_where_the_location_prefix_cannot_be_replaced(string location)
    {
        var result = ConfigTestHelper.LoadHttp("server { listen 18080; " + location + " }");
        Assert.Equal(
            "\"proxy_pass\" cannot have URI part in location given by regular expression, or inside named location, "
            + "or inside \"if\" statement, or inside \"limit_except\" block in F:3",
            result.FirstError());
    }

    [Theory]
    [InlineData("proxy_cache_path cache/ levels=1:3 keys_zone=a:10m;", "invalid \"levels\" \"levels=1:3\" in F:3")]
    [InlineData("proxy_cache_path cache/ levels=1:2:2:2 keys_zone=a:10m;", "invalid \"levels\" \"levels=1:2:2:2\" in F:3")]
    [InlineData("proxy_cache_path cache/ levels=1: keys_zone=a:10m;", "invalid \"levels\" \"levels=1:\" in F:3")]
    [InlineData("proxy_cache_path cache/ max_size=1g;", "\"proxy_cache_path\" must have \"keys_zone\" parameter in F:3")]
    [InlineData("proxy_cache_path cache/ keys_zone=a;", "invalid keys zone size \"keys_zone=a\" in F:3")]
    [InlineData("proxy_cache_path cache/ keys_zone=a:4k;", "keys zone \"keys_zone=a:4k\" is too small in F:3")]
    [InlineData("proxy_cache_path cache/ keys_zone=a:1m use_temp_path=no;", "invalid use_temp_path value \"use_temp_path=no\", it must be \"on\" or \"off\" in F:3")]
    [InlineData("proxy_cache_path cache/ keys_zone=a:1m inactive=1x;", "invalid inactive value \"inactive=1x\" in F:3")]
    [InlineData("proxy_cache_path cache/ keys_zone=a:1m max_size=big;", "invalid max_size value \"max_size=big\" in F:3")]
    [InlineData("proxy_cache_path cache/ keys_zone=a:1m loader_files=x;", "invalid loader_files value \"loader_files=x\" in F:3")]
    [InlineData("proxy_cache_path cache/ keys_zone=a:1m manager_sleep=x;", "invalid manager_sleep value \"manager_sleep=x\" in F:3")]
    [InlineData("proxy_cache_path cache/ keys_zone=a:1m levels;", "invalid parameter \"levels\" in F:3")]
    [InlineData("proxy_cache_path cache keys_zone=a:1m;\nproxy_cache_path cache2 keys_zone=a:1m;", "duplicate zone \"a\" in F:4")]
    [InlineData("proxy_cache_path cache keys_zone=a:1m;\nproxy_cache_path cache2 keys_zone=a:2m;", "the size 2097152 of shared memory zone \"a\" conflicts with already declared size 1048576 in F:4")]
    [InlineData("proxy_cache_path cache keys_zone=a:1m;\nproxy_cache_path cache/ keys_zone=b:1m;", "the same path name \"/sluice-test/cache\" used in F:3 and in F:4")]
    [InlineData("proxy_temp_path /t 1 2;\nproxy_cache_path /t keys_zone=a:1m;", "the same path name \"/t\" used in F:3 and in F:4")]
    [InlineData("proxy_temp_path t 1 2;\nserver { proxy_temp_path t/ 2; }", "the same path name \"/sluice-test/t\" in F:3 has the different levels than in F:4")]
    [InlineData("client_body_temp_path /t 1;\nproxy_temp_path /t 2;", "the same path name \"/t\" in F:3 has the different levels than in F:4")]
    [InlineData("server { proxy_cache_path cache keys_zone=a:1m; }", "\"proxy_cache_path\" directive is not allowed here in F:3")]
    public void Checks_cache_paths_as_nginx_does(string http, string error)
    {
        Assert.Equal(error, ConfigTestHelper.LoadHttp(http).FirstError());
    }

    [Theory]
    [InlineData("proxy_buffers 1 32k;", "there must be at least 2 \"proxy_buffers\"")]
    [InlineData("proxy_buffers 4 16k; proxy_busy_buffers_size 64k;", "\"proxy_busy_buffers_size\" must be less than the size of all \"proxy_buffers\" minus one buffer")]
    [InlineData("proxy_buffer_size 64k;", "\"proxy_busy_buffers_size\" must be less than the size of all \"proxy_buffers\" minus one buffer")]
    [InlineData("proxy_busy_buffers_size 1k;", "\"proxy_busy_buffers_size\" must be equal to or greater than the maximum of the value of \"proxy_buffer_size\" and one of the \"proxy_buffers\"")]
    [InlineData("proxy_temp_file_write_size 1k;", "\"proxy_temp_file_write_size\" must be equal to or greater than the maximum of the value of \"proxy_buffer_size\" and one of the \"proxy_buffers\"")]
    [InlineData("proxy_max_temp_file_size 1k;", "\"proxy_max_temp_file_size\" must be equal to zero to disable temporary files usage or must be equal to or greater than the maximum of the value of \"proxy_buffer_size\" and one of the \"proxy_buffers\"")]
    [InlineData("proxy_cache app;", "\"proxy_cache\" zone \"app\" is unknown")]
    [InlineData("proxy_set_header X $;", "invalid variable name")]
    [InlineData("proxy_set_body ${x;", "the closing bracket in \"x\" variable is missing")]
    public void Merge_checks_are_reported_at_the_end_of_the_http_block(string directives, string error)
    {
        var result = ConfigTestHelper.LoadHttp(Location + directives + " }\n}\n# the end of http is on the next line");
        Assert.Equal(error + " in F:6", result.FirstError());
    }

    [Fact]
    public void The_http_level_is_only_checked_through_its_servers()
    {
        Assert.Empty(ConfigTestHelper.LoadHttp("proxy_buffers 1 4k;").RealErrors());
        Assert.Equal("there must be at least 2 \"proxy_buffers\" in F:5", ConfigTestHelper.LoadHttp("proxy_buffers 1 4k;\nserver { listen 18080; }").FirstError());
    }

    [Theory]
    [InlineData("proxy_temp_path t 1 2;\nserver { proxy_temp_path t/ 1 2; }")]
    [InlineData("proxy_cache_path /c/ keys_zone=a:1m;\nproxy_cache_path /c keys_zone=b:1m;")]
    public void Directories_nginx_sees_as_distinct_or_compatible_are_accepted(string http)
    {
        Assert.Empty(ConfigTestHelper.LoadHttp(http).RealErrors());
    }

    [Fact]
    public void Named_captures_of_rewrite_regexes_define_variables()
    {
        var result = ConfigTestHelper.LoadHttp(Location + "proxy_redirect ~^http://(?<upstream_host>[^/]+)/ http://$upstream_host/; } }");
        Assert.Empty(result.RealErrors());
    }

    [Fact]
    public void A_cache_zone_may_be_declared_after_its_use()
    {
        var result = ConfigTestHelper.LoadHttp(Location + "proxy_cache api; } }\nproxy_cache_path cache/ levels=1:2 keys_zone=api:10m inactive=60m max_size=1g use_temp_path=off;");
        Assert.Empty(result.RealErrors());
    }

    [Fact]
    public void A_zone_of_another_kind_cannot_be_a_cache()
    {
        var result = ConfigTestHelper.LoadHttp("upstream b { zone shared 64k; server 127.0.0.1:1; }\n" + Location + "proxy_cache shared; } }");
        Assert.Equal("the shared memory zone \"shared\" is already declared for a different use in F:4", result.FirstError());
    }

    [Theory]
    [InlineData("proxy_ssl_certificate /x.pem;", "no \"proxy_ssl_certificate_key\" is defined for certificate \"/x.pem\"")]
    [InlineData("proxy_ssl_verify on;", "no proxy_ssl_trusted_certificate for proxy_ssl_verify")]
    public void Upstream_tls_checks_apply_to_https_proxy_pass_and_have_no_location(string directives, string error)
    {
        var result = ConfigTestHelper.LoadHttp("server { listen 18080; location / { proxy_pass https://127.0.0.1; " + directives + " } }");
        Assert.Equal(error, result.FirstError());
        Assert.Empty(ConfigTestHelper.LoadHttp(Location + directives + " } }").RealErrors());
    }

    [Fact]
    public void Send_lowat_is_ignored_with_nginx_warning()
    {
        var result = ConfigTestHelper.LoadHttp(Location + "proxy_send_lowat 0; } }");
        Assert.Contains(result.Diagnostics, d => d.Level == DiagnosticLevel.Warn && d.Message == "\"proxy_send_lowat\" is not supported, ignored");
    }

    [Fact]
    public void Header_variables_are_checked_when_http_closes()
    {
        var result = ConfigTestHelper.LoadHttp(Location + "proxy_set_header X-Tier $rate_limit_tier; } }");
        Assert.Equal("unknown \"rate_limit_tier\" variable", result.FirstError());
    }

    [Fact]
    public void Directives_without_runtime_are_listed_and_tuning_ones_are_accepted()
    {
        var result = ConfigTestHelper.LoadHttp(Location + "proxy_temp_path /tmp/p 1 2; proxy_max_temp_file_size 0; proxy_read_timeout 5s; proxy_cache_lock on; } }");
        var pending = result.Diagnostics.Where(d => d.Message.Contains("not implemented yet", StringComparison.Ordinal)).Select(d => d.Message).ToList();
        Assert.Contains("\"proxy_cache_lock\" directive is not implemented yet", pending);
        Assert.DoesNotContain("\"proxy_pass\" directive is not implemented yet", pending);
        Assert.DoesNotContain(pending, m => m.Contains("temp", StringComparison.Ordinal));
    }

    [Fact]
    public void Settings_are_stored_typed_and_inherited()
    {
        var (_, compiler) = ConfigCompilerProbe.CompileHttp(
            "proxy_read_timeout 5s; proxy_set_header Host $host; proxy_next_upstream error http_502;\n"
            + "proxy_cache_path cache/ levels=1:2 keys_zone=api:10m inactive=60m;\n"
            + "server { listen 18080; location /app/ { proxy_pass http://127.0.0.1:8001/v1/; proxy_buffers 16 8k;"
            + " proxy_cache api; proxy_cache_valid 5m; proxy_cache_valid 404 any 1m; proxy_redirect default; proxy_cookie_path ~*^/x /y; } }");
        var location = compiler.State<Sluice.Http.Configuration.HttpConfState>().Servers.Single().Locations.Single().Scope;

        Assert.Equal(TimeSpan.FromSeconds(5), location.Get(ProxySettings.ReadTimeout));
        Assert.Equal(new Sluice.Configuration.Directives.BufferSpec(16, 8192), location.Get(ProxySettings.Buffers));
        Assert.Equal("$host", location.GetList(ProxySettings.SetHeaders).Single().Value);
        Assert.Equal(NextUpstreamConditions.Error | NextUpstreamConditions.Http502, (NextUpstreamConditions)location.Get(ProxySettings.NextUpstream));

        var pass = Assert.IsType<StaticProxyPass>(location.Get(ProxySettings.Pass));
        Assert.Equal(("127.0.0.1:8001", "8001", "/v1/", "/app/"), (pass.HostHeader, pass.Port, pass.Uri, pass.LocationPrefix));
        Assert.Equal("127.0.0.1", pass.Upstream.Name);

        var cache = location.Get(ProxySettings.Cache)!;
        var path = Assert.IsType<ProxyCachePath>(cache.Zone!.Data);
        Assert.Equal(("/sluice-test/cache", 10L * 1024 * 1024, TimeSpan.FromHours(1)), (path.Path, path.ZoneSize, path.Inactive));
        Assert.Equal([1, 2], path.Levels.AsEnumerable());
        Assert.Equal([200, 301, 302, 404, 0], location.GetList(ProxySettings.CacheValid).Select(v => v.Status));

        var redirect = Assert.IsType<DefaultRedirect>(location.Get(ProxySettings.Redirect)!.Rules.Single());
        Assert.Equal(new DefaultRedirect("http://127.0.0.1:8001/v1/", "/app/"), redirect);
        var cookie = Assert.IsType<RegexRewrite>(location.Get(ProxySettings.CookiePath)!.Rules.Single());
        Assert.Matches(cookie.Pattern, "/X");
    }
}
