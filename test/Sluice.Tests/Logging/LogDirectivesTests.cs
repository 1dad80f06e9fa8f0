using Sluice.Core;
using Sluice.Http.Configuration;
using Sluice.Logging.Configuration;
using Sluice.Tests.Configuration;
using Sluice.Variables;

namespace Sluice.Tests.Logging;

public sealed class LogDirectivesTests
{
    [Theory]
    [InlineData("log_format main '$remote_addr' \"$ $http_x_forwarded_for\" x;", "invalid parameter \"$ $http_x_forwarded_for\" in F:3")]
    [InlineData("log_format main 'a$';", "invalid parameter \"$\" in F:3")]
    [InlineData("log_format main 'a ${';", "invalid parameter \"${\" in F:3")]
    [InlineData("log_format main '[${time_local]';", "the closing bracket in \"time_local\" variable is missing in F:3")]
    [InlineData("log_format main escape=xml '$status';", "unknown log format escaping \"xml\" in F:3")]
    [InlineData("log_format main;", "invalid number of arguments in \"log_format\" directive in F:3")]
    [InlineData("log_format combined '$status';", "duplicate \"log_format\" name \"combined\" in F:3")]
    [InlineData("log_format a '$status';\nlog_format a '$uri';", "duplicate \"log_format\" name \"a\" in F:4")]
    [InlineData("log_format a '$1';", "unknown \"1\" variable")]
    [InlineData("server { log_format a '$status'; }", "\"log_format\" directive is not allowed here in F:3")]
    public void Log_format_errors_are_nginx_s(string body, string expected) =>
        Assert.Equal(expected, ConfigTestHelper.LoadHttp(body).FirstError());

    [Fact]
    public void Log_format_compiles_to_literals_and_variables_with_its_escaping()
    {
        var compiler = ConfigTestHelper.LoadHttp("log_format j escape=json '{\"a\":\"$Remote_Addr\",' '\"t\":${request_time}}';").Compiler();

        var format = compiler.State<LogConfState>().Find("J")!;
        Assert.Equal(LogEscape.Json, format.Escape);
        Assert.Equal(
            new[]
            {
                TemplatePart.Literal("{\"a\":\""),
                TemplatePart.Variable("remote_addr"),
                TemplatePart.Literal("\",\"t\":"),
                TemplatePart.Variable("request_time"),
                TemplatePart.Literal("}"),
            },
            format.Parts.ToArray());
    }

    [Fact]
    public void Combined_format_is_predefined()
    {
        var combined = LogFormat.Combined;
        Assert.Equal(LogEscape.Default, combined.Escape);
        Assert.Equal(
            ["remote_addr", "remote_user", "time_local", "request", "status", "body_bytes_sent", "http_referer", "http_user_agent"],
            combined.Parts.Where(p => p.Kind == TemplatePartKind.Variable).Select(p => p.Text));
    }

    [Theory]
    [InlineData("access_log logs/a.log mian;", "unknown log format \"mian\" in F:3")]
    [InlineData("access_log off combined;", "invalid parameter \"combined\" in F:3")]
    [InlineData("access_log logs/a.log combined buffer=0;", "invalid buffer size \"0\" in F:3")]
    [InlineData("access_log logs/a.log combined flush=never;", "invalid flush time \"never\" in F:3")]
    [InlineData("access_log logs/a.log combined flush=5s;", "no buffer is defined for access_log \"logs/a.log\" in F:3")]
    [InlineData("access_log logs/a.log combined gzip=0;", "invalid compression level \"0\" in F:3")]
    [InlineData("access_log logs/a.log combined if=$;", "invalid variable name in F:3")]
    [InlineData("access_log logs/a.log combined rotate=daily;", "invalid parameter \"rotate=daily\" in F:3")]
    [InlineData("access_log logs/$host.log combined gzip;", "buffered logs cannot have variables in name in F:3")]
    [InlineData("access_log syslog:server=127.0.0.1 combined buffer=4k;", "logs to syslog cannot be buffered in F:3")]
    [InlineData("access_log logs/a.log combined buffer=4k;\naccess_log logs/a.log combined buffer=4k flush=1s;", "access_log \"logs/a.log\" already defined with conflicting parameters in F:4")]
    [InlineData("access_log logs/$undefined.log;", "unknown \"undefined\" variable")]
    [InlineData("server { if_x { access_log off; } }", "unknown directive \"if_x\" in F:3")]
    public void Access_log_errors_are_nginx_s(string body, string expected) =>
        Assert.Equal(expected, ConfigTestHelper.LoadHttp(body).FirstError());

    [Theory]
    [InlineData("access_log syslog:tag=web;", "no syslog server specified in F:3")]
    [InlineData("access_log syslog:server=127.0.0.1,server=127.0.0.2;", "duplicate syslog \"server\" in F:3")]
    [InlineData("access_log syslog:server=127.0.0.1:0;", "invalid port in syslog server \"127.0.0.1:0\" in F:3")]
    [InlineData("access_log syslog:server=127.0.0.1,facility=local8;", "unknown syslog facility \"local8\" in F:3")]
    [InlineData("access_log syslog:server=127.0.0.1,severity=warning;", "unknown syslog severity \"warning\" in F:3")]
    [InlineData("access_log syslog:server=127.0.0.1,severity=info,severity=info;", "duplicate syslog \"severity\" in F:3")]
    [InlineData("access_log syslog:server=127.0.0.1,tag=a-b;", "syslog \"tag\" only allows alphanumeric characters and underscore in F:3")]
    [InlineData("access_log syslog:server=127.0.0.1,tag=abcdefghijklmnopqrstuvwxyz0123456;", "syslog tag length exceeds 32 in F:3")]
    [InlineData("access_log syslog:server=127.0.0.1,hostname;", "unknown syslog parameter \"hostname\" in F:3")]
    public void Syslog_targets_are_checked_as_nginx_does(string body, string expected) =>
        Assert.Equal(expected, ConfigTestHelper.LoadHttp(body).FirstError());

    [Fact]
    public void Access_log_lines_record_destination_format_buffer_and_condition()
    {
        var compiler = ConfigTestHelper.LoadHttp(
            """
            log_format main '$status';
            access_log logs/main.log MAIN buffer=32k flush=5s gzip=4 if=$status;
            access_log syslog:server=127.0.0.1:5514,facility=local0,severity=notice,tag=web,nohostname;
            access_log logs/$host.log;
            access_log "";
            """).Compiler();

        var http = compiler.State<HttpConfState>().Http!;
        var logs = http.Get(LogSettings.AccessLogs)!;
        Assert.False(logs.Off);
        Assert.Equal(4, logs.Logs.Length);

        var file = logs.Logs[0];
        Assert.Equal(new FileLogDestination(ConfigTestHelper.Prefix + "logs/main.log"), file.Destination);
        Assert.Equal("main", file.Format.Name);
        Assert.Equal("$status", file.Condition!.Source);
        Assert.Equal(new AccessLogBuffer(32 * 1024, TimeSpan.FromSeconds(5), 4), compiler.State<LogConfState>().BuffersByPath[ConfigTestHelper.Prefix + "logs/main.log"]);

        var syslog = Assert.IsType<SyslogLogDestination>(logs.Logs[1].Destination).Target;
        Assert.Equal(("127.0.0.1:5514", 16, 5, "web", true), (syslog.Server.ToString(), syslog.Facility, syslog.Severity, syslog.Tag, syslog.NoHostname));
        Assert.Equal(LogFormat.CombinedName, logs.Logs[1].Format.Name);

        Assert.Equal(ConfigTestHelper.Prefix + "logs/$host.log", Assert.IsType<VariablePathLogDestination>(logs.Logs[2].Destination).Path.Source);
        Assert.IsType<StderrLogDestination>(logs.Logs[3].Destination);

        Assert.Equal([ConfigTestHelper.Prefix + "logs/main.log"], compiler.State<OpenFileRegistry>().Paths);
    }

    [Fact]
    public void Gzip_without_buffer_gets_a_64k_buffer_and_the_same_file_may_repeat_it()
    {
        var compiler = ConfigTestHelper.LoadHttp("access_log logs/a.log combined gzip;\nserver { access_log logs/a.log combined buffer=64k gzip=1; }").Compiler();

        Assert.Equal(new AccessLogBuffer(64 * 1024, null, 1), compiler.State<LogConfState>().BuffersByPath[ConfigTestHelper.Prefix + "logs/a.log"]);
    }

    [Fact]
    public void Off_and_lines_are_per_block_and_inherited_by_blocks_without_any()
    {
        var compiler = ConfigTestHelper.LoadHttp(
            """
            access_log logs/http.log;
            server {
                location /a { access_log off; }
                location /b { }
            }
            """).Compiler();

        var server = compiler.State<HttpConfState>().Servers[0];
        Assert.True(server.Locations[0].Scope.Get(LogSettings.AccessLogs)!.Off);
        Assert.Equal(new FileLogDestination(ConfigTestHelper.Prefix + "logs/http.log"), server.Locations[1].Scope.Get(LogSettings.AccessLogs)!.Logs[0].Destination);
        Assert.Null(compiler.State<LogConfState>().DefaultLog);
    }

    [Fact]
    public void A_server_without_any_access_log_uses_and_opens_the_default_log()
    {
        var compiler = ConfigTestHelper.LoadHttp("server { location / { access_log logs/loc.log; } }\nserver { access_log off; }").Compiler();

        var defaultPath = ConfigTestHelper.Prefix + "logs/access.log";
        Assert.Equal(new FileLogDestination(defaultPath), compiler.State<LogConfState>().DefaultLog!.Destination);
        Assert.Same(LogFormat.Combined, compiler.State<LogConfState>().DefaultLog!.Format);
        Assert.Equal([ConfigTestHelper.Prefix + "logs/loc.log", defaultPath], compiler.State<OpenFileRegistry>().Paths);
    }

    [Fact]
    public void Http_without_servers_opens_no_default_log()
    {
        var compiler = ConfigTestHelper.LoadHttp("").Compiler();

        Assert.Empty(compiler.State<OpenFileRegistry>().Paths);
    }

    [Theory]
    [InlineData("open_log_file_cache max=10 always;", "invalid \"open_log_file_cache\" parameter \"always\" in F:3")]
    [InlineData("open_log_file_cache max=-1;", "invalid \"open_log_file_cache\" parameter \"max=-1\" in F:3")]
    [InlineData("open_log_file_cache inactive=1m;", "\"open_log_file_cache\" must have \"max\" parameter in F:3")]
    [InlineData("open_log_file_cache off;\nopen_log_file_cache off;", "\"open_log_file_cache\" directive is duplicate in F:4")]
    public void Open_log_file_cache_errors_are_nginx_s(string body, string expected) =>
        Assert.Equal(expected, ConfigTestHelper.LoadHttp(body).FirstError());

    [Fact]
    public void Open_log_file_cache_is_read_and_off_disables_it_below()
    {
        var compiler = ConfigTestHelper.LoadHttp("open_log_file_cache max=1000 inactive=20s valid=1m min_uses=2;\nserver { open_log_file_cache off; }").Compiler();

        var state = compiler.State<HttpConfState>();
        Assert.Equal(new OpenLogFileCache(1000, TimeSpan.FromSeconds(20), 2, TimeSpan.FromMinutes(1)), state.Http!.Get(LogSettings.OpenLogFileCache));
        Assert.Null(state.Servers[0].Scope.Get(LogSettings.OpenLogFileCache));
    }

    [Fact]
    public void Access_logs_run_but_syslog_and_gzip_targets_are_not_implemented_yet()
    {
        Assert.True(ConfigTestHelper.LoadHttp("log_format main '$remote_addr'; access_log off;").Success);

        var result = ConfigTestHelper.LoadHttp("access_log logs/a.log combined gzip; access_log syslog:server=127.0.0.1;");
        Assert.Empty(result.RealErrors());
        Assert.Contains(result.Diagnostics, d => d.Message == "the \"gzip\" parameter of the \"access_log\" directive is not implemented yet");
        Assert.Contains(result.Diagnostics, d => d.Message == "the \"syslog:\" target of the \"access_log\" directive is not implemented yet");
    }
}
