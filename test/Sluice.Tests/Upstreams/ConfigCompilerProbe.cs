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
    /// <param name="resolver">Resolves upstream host names (default: literal addresses and localhost only).</param>
    public static (ConfigCompileResult Result, ConfigCompiler Compiler) CompileHttp(string httpBody, IHostResolver? resolver = null)
    {
        var files = new InMemoryConfigFileSystem().Add(ConfigTestHelper.MainPath, "events {}\nhttp {\n" + httpBody + "\n}\n");
        var tests = ConfigEnvironment.ForTests(ConfigTestHelper.Prefix);
        var environment = resolver is null ? tests : new ConfigEnvironment
        {
            Prefix = tests.Prefix,
            ConfPrefix = tests.ConfPrefix,
            Resolver = resolver,
            IsSuperUser = tests.IsSuperUser,
            UserExists = tests.UserExists,
            GroupExists = tests.GroupExists,
        };
        var document = new ConfigParser(files, ConfigTestHelper.Prefix + "conf/").Parse(ConfigTestHelper.MainPath, null);
        var compiler = new ConfigCompiler(SluiceDirectives.Table, environment);
        return (compiler.Compile(document), compiler);
    }
}
