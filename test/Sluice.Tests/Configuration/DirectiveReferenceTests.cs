using Sluice.Configuration;

namespace Sluice.Tests.Configuration;

/// <summary>docs/directives.md is generated from the directive table and must match it.</summary>
public sealed class DirectiveReferenceTests
{
    [Fact]
    public void Docs_list_every_directive_with_its_status()
    {
        var generated = DirectiveReference.Markdown(SluiceDirectives.Table);
        var path = Path.Combine(Path.GetDirectoryName(CorpusFiles.Directory)!, "..", "..", "docs", "directives.md");
        path = Path.GetFullPath(path);
        if (Environment.GetEnvironmentVariable("SLUICE_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, generated);
        }

        Assert.True(File.Exists(path), $"{path} is missing; run with SLUICE_UPDATE_DOCS=1 to generate it");
        Assert.Equal(generated, File.ReadAllText(path));
    }
}
