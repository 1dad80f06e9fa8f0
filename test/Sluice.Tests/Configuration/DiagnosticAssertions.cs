using Sluice.Configuration.Syntax;
using Sluice.Http.Configuration;
using Sluice.Configuration;

namespace Sluice.Tests.Configuration;

/// <summary>Warnings of a load in the form the feature tests compare (file shortened to F, as <see cref="ConfigTestHelper.FirstError"/> does).</summary>
public static class DiagnosticAssertions
{
    public static IReadOnlyList<string> Warnings(this ConfigLoadResult result) =>
        [.. result.Diagnostics.Where(d => d.Level == DiagnosticLevel.Warn).Select(d => d.Text.Replace(ConfigTestHelper.MainPath, "F", StringComparison.Ordinal))];

    /// <summary>Asserts the load has no error other than "not implemented yet".</summary>
    public static void AssertValid(this ConfigLoadResult result) =>
        Assert.True(!result.RealErrors().Any(), string.Join("\n", result.Diagnostics));
}

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
