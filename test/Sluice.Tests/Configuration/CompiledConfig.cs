using Sluice.Configuration;
using Sluice.Configuration.Syntax;
using Sluice.Http.Configuration;

namespace Sluice.Tests.Configuration;

/// <summary>Compiles a snippet and keeps the compiler even when the result is "not implemented yet", to inspect the settings stored.</summary>
public static class CompiledConfig
{
    public static HttpConfState Http(string httpBody)
    {
        var files = new InMemoryConfigFileSystem().Add(ConfigTestHelper.MainPath, "events {}\nhttp {\n" + httpBody + "\n}\n");
        var environment = ConfigEnvironment.ForTests(ConfigTestHelper.Prefix);
        var document = new ConfigParser(files, ConfigTestHelper.Prefix + "conf/").Parse(ConfigTestHelper.MainPath, null);
        var compiler = new ConfigCompiler(SluiceDirectives.Table, environment);
        var result = compiler.Compile(document);
        Assert.True(!result.Diagnostics.Any(d => d.Level == DiagnosticLevel.Emerg && !d.Message.Contains("not implemented", StringComparison.Ordinal)), string.Join("\n", result.Diagnostics));
        return compiler.State<HttpConfState>();
    }
}
