using Sluice.Configuration;
using Sluice.Configuration.Syntax;
using Sluice.Tests.Configuration;

namespace Sluice.Tests.Upstreams;

/// <summary>
/// Compiles a configuration and keeps the compiler even when the result is "not implemented yet", so tests
/// can look at what the features collected (registries, scopes) for a configuration nginx accepts.
/// </summary>
public static class ConfigCompilerProbe
{
    public static (ConfigCompileResult Result, ConfigCompiler Compiler) CompileHttp(string httpBody)
    {
        var files = new InMemoryConfigFileSystem().Add(ConfigTestHelper.MainPath, "events {}\nhttp {\n" + httpBody + "\n}\n");
        var environment = ConfigEnvironment.ForTests(ConfigTestHelper.Prefix);
        var document = new ConfigParser(files, ConfigTestHelper.Prefix + "conf/").Parse(ConfigTestHelper.MainPath, null);
        var compiler = new ConfigCompiler(SluiceDirectives.Table, environment);
        return (compiler.Compile(document), compiler);
    }
}
