using System.Text;
using Sluice.Configuration.Syntax;
using Sluice.FunctionalTests.Infrastructure;

namespace Sluice.FunctionalTests.Configuration;

/// <summary><c>-T</c> output read back gives the same tree: same directives, arguments, files and lines.</summary>
public sealed class DumpRoundTripTests : IClassFixture<ConfigCorpus>
{
    private readonly ConfigCorpus _corpus;

    public DumpRoundTripTests(ConfigCorpus corpus) => _corpus = corpus;

    public static TheoryData<string> ValidFiles => [.. ConfigCorpus.Files("valid")];

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Dump_parses_back_to_the_same_tree(string file)
    {
        var confPrefix = _corpus.Prefix + "conf/";
        var original = new ConfigParser(DiskConfigFileSystem.Instance, confPrefix).Parse(_corpus.ConfPath(file));
        Assert.Null(original.MainError);

        var dumped = ConfigDump.Read(ConfigDump.Write(original.Files));
        Assert.Equal(original.Files.Select(f => f.Path), dumped.Select(f => f.Path));
        var reread = new ConfigParser(ConfigDump.ToFileSystem(dumped), confPrefix).Parse(dumped[0].Path);

        Assert.Equal(ConfigTreePrinter.Print(original), ConfigTreePrinter.Print(reread));
    }

    [Fact]
    public async Task Sluice_dump_matches_nginx_dump_byte_for_byte()
    {
        using var dir = new TempDirectory();
        dir.Write("conf/main.conf", "pid logs/t.pid;\nevents {\n    worker_connections 64;\n}\ninclude conf.d/*.conf;\n# no newline at the end");
        dir.Write("conf/conf.d/a.conf", "worker_rlimit_nofile 1024;\n");
        dir.Write("conf/conf.d/b.conf", "env TZ;\n");
        Directory.CreateDirectory(dir.Combine("logs"));
        string[] args = ["-T", "-q", "-p", dir.Path + "/", "-c", "conf/main.conf"];

        var nginx = await ProcessRunner.RunAsync(Tools.Nginx, args);
        var sluice = await Tools.RunSluiceAsync(args);

        Assert.Equal(0, nginx.ExitCode);
        Assert.Equal(0, sluice.ExitCode);
        Assert.Equal(nginx.Stdout, sluice.Stdout);
        Assert.Contains("# configuration file " + dir.Path + "/conf/conf.d/b.conf:\nenv TZ;\n", sluice.Stdout, StringComparison.Ordinal);

        var files = ConfigDump.Read(Encoding.UTF8.GetBytes(sluice.Stdout));
        Assert.Equal(3, files.Count);
        Assert.Equal("# no newline at the end", Encoding.UTF8.GetString(files[0].Content).Split('\n')[^1]);
    }
}
