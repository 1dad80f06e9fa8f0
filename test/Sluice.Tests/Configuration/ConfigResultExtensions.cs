using Sluice.Configuration;

namespace Sluice.Tests.Configuration;

/// <summary>Reads what a load built, also when it only failed for features whose runtime is not built yet.</summary>
public static class ConfigResultExtensions
{
    /// <summary>The compiler with the features' per-load state; fails the test when the configuration had a real error.</summary>
    public static ConfigCompiler Compiler(this ConfigLoadResult result) =>
        result.Compiled ?? throw new InvalidOperationException("the configuration failed: " + string.Join("\n", result.Diagnostics));
}
