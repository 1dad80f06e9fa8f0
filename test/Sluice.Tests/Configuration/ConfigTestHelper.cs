using Sluice.Configuration;
using Sluice.Configuration.Syntax;

namespace Sluice.Tests.Configuration;

/// <summary>Loads configurations from strings, without disk, DNS or root checks.</summary>
public static class ConfigTestHelper
{
    public const string Prefix = "/sluice-test/";
    public const string MainPath = Prefix + "conf/sluice.conf";

    /// <summary>Loads <paramref name="text"/> as the main file; <paramref name="extraFiles"/> are (path relative to conf/, text) for includes.</summary>
    public static ConfigLoadResult Load(string text, params (string Path, string Text)[] extraFiles)
    {
        var files = new InMemoryConfigFileSystem().Add(MainPath, text);
        foreach (var (path, content) in extraFiles)
        {
            files.Add(path.StartsWith('/') ? path : Prefix + "conf/" + path, content);
        }

        var environment = new ConfigEnvironment
        {
            Prefix = Prefix,
            ConfPrefix = Prefix + "conf/",
            Resolver = LiteralHostResolver.Instance,
            IsSuperUser = false,
            UserExists = _ => true,
            GroupExists = _ => true,
        };
        return new ConfigLoader(environment, files).Load(MainPath);
    }

    /// <summary>Loads a snippet placed inside <c>events {} http { … }</c>.</summary>
    public static ConfigLoadResult LoadHttp(string httpBody) => Load("events {}\nhttp {\n" + httpBody + "\n}\n");

    /// <summary>The first emerg message with its location, as nginx prints it after "[emerg] ".</summary>
    public static string? FirstError(this ConfigLoadResult result) =>
        result.Diagnostics.FirstOrDefault(d => d.Level == DiagnosticLevel.Emerg)?.Text.Replace(MainPath, "F", StringComparison.Ordinal);

    /// <summary>Messages other than "not implemented yet" (which are expected while features are being built).</summary>
    public static IEnumerable<ConfigDiagnostic> RealErrors(this ConfigLoadResult result) =>
        result.Diagnostics.Where(d => d.Level <= DiagnosticLevel.Error && !d.Message.Contains("is not implemented yet", StringComparison.Ordinal));
}
