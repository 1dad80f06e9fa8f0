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
