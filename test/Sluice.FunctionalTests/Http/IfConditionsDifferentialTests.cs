using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Http;

/// <summary>
/// Every <c>if</c> operator at runtime, side by side with nginx: string comparison (<c>=</c>, <c>!=</c>),
/// regular expressions with and without case (<c>~</c>, <c>~*</c>, <c>!~</c>, <c>!~*</c>), and the file tests
/// (<c>-f</c>, <c>-d</c>, <c>-e</c>, <c>-x</c> and their negations) over a file, a directory, an executable,
/// a file only its group may execute, symbolic links (to a file, to a directory, broken) and a missing path.
/// </summary>
public sealed class IfConditionsDifferentialTests : IClassFixture<IfConditionsDifferentialTests.Fixture>
{
    private static readonly string[] Operators = ["f", "!f", "d", "!d", "e", "!e", "x", "!x"];

    private readonly Fixture _fixture;
    private readonly ITestOutputHelper _output;

    public IfConditionsDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    public sealed class Fixture : IAsyncLifetime
    {
        public DifferentialRig Rig { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var files = string.Concat(Operators.Select(op =>
                $"location = /test{op.Replace('!', 'n')} {{ if ({op[..^1]}-{op[^1]} {{{{ROOT}}}}/$arg_p) {{ return 200 \"yes\\n\"; }} return 200 \"no\\n\"; }}\n"));
            Rig = await DifferentialRig.StartAsync($$$"""
                events {}
                http {
                    server {
                        listen {{LISTEN}};
                        {{{files}}}
                        location = /eq { if ($arg_a = $arg_b) { return 200 "yes\n"; } return 200 "no\n"; }
                        location = /ne { if ($arg_a != $arg_b) { return 200 "yes\n"; } return 200 "no\n"; }
                        location = /ne-literal { if ($arg_a != "x y") { return 200 "yes\n"; } return 200 "no\n"; }
                        location = /re { if ($arg_a ~ ^ab+c$) { return 200 "yes\n"; } return 200 "no\n"; }
                        location = /re-case { if ($arg_a ~* ^ab+c$) { return 200 "yes\n"; } return 200 "no\n"; }
                        location = /nre { if ($arg_a !~ ^ab+c$) { return 200 "yes\n"; } return 200 "no\n"; }
                        location = /nre-case { if ($arg_a !~* ^ab+c$) { return 200 "yes\n"; } return 200 "no\n"; }
                        location = /re-capture { if ($arg_a ~ ^(?<head>a)(b+)c$) { return 200 "yes $head $2\n"; } return 200 "no\n"; }
                    }
                }
                """, 0, new Dictionary<string, string> { ["file.txt"] = "file\n", ["dir/inner.txt"] = "inner\n", ["exec.sh"] = "#!/bin/sh\n", ["groupexec.sh"] = "#!/bin/sh\n" });

            var root = Rig.Root;
            if (OperatingSystem.IsWindows())
            {
                throw new PlatformNotSupportedException("nginx's file tests need Unix file modes");
            }

            File.SetUnixFileMode(Path.Combine(root, "exec.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
            File.SetUnixFileMode(Path.Combine(root, "groupexec.sh"), (UnixFileMode)Convert.ToInt32("654", 8));
            File.CreateSymbolicLink(Path.Combine(root, "file-link"), Path.Combine(root, "file.txt"));
            File.CreateSymbolicLink(Path.Combine(root, "dir-link"), Path.Combine(root, "dir"));
            File.CreateSymbolicLink(Path.Combine(root, "broken-link"), Path.Combine(root, "nothing-here"));
        }

        public async Task DisposeAsync() => await Rig.DisposeAsync();
    }

    public static TheoryData<string> FileOperators => [.. Operators];

    [Theory]
    [MemberData(nameof(FileOperators))]
    public async Task File_tests_answer_like_nginx(string op)
    {
        var paths = new[] { "file.txt", "dir", "dir/", "exec.sh", "groupexec.sh", "file-link", "dir-link", "broken-link", "missing", "file.txt/x", "" };
        var nginxAnswers = new List<string>();
        var sluiceAnswers = new List<string>();
        foreach (var path in paths)
        {
            var (nginx, sluice) = await _fixture.Rig.SendAsync($"/test{op.Replace('!', 'n')}?p={Uri.EscapeDataString(path)}");
            nginxAnswers.Add($"{op} \"{path}\": {nginx.Status} {nginx.Body.Trim()}");
            sluiceAnswers.Add($"{op} \"{path}\": {sluice.Status} {sluice.Body.Trim()}");
        }

        _output.WriteLine(string.Join("\n", nginxAnswers.Zip(sluiceAnswers, (n, s) => $"nginx {n} | sluice {s}")));
        Assert.Equal(nginxAnswers, sluiceAnswers);
    }

    [Theory]
    [InlineData("/eq?a=x&b=x")]
    [InlineData("/eq?a=x&b=y")]
    [InlineData("/eq?b=")]
    [InlineData("/ne?a=x&b=x")]
    [InlineData("/ne?a=x&b=y")]
    [InlineData("/ne?a=")]
    [InlineData("/ne-literal?a=x%20y")]
    [InlineData("/ne-literal?a=x+y")]
    [InlineData("/re?a=abbc")]
    [InlineData("/re?a=ABBC")]
    [InlineData("/re?a=ac")]
    [InlineData("/re-case?a=ABBC")]
    [InlineData("/nre?a=abbc")]
    [InlineData("/nre?a=ABBC")]
    [InlineData("/nre-case?a=ABBC")]
    [InlineData("/nre-case?a=abbc")]
    [InlineData("/nre-case?a=ac")]
    [InlineData("/nre-case")]
    [InlineData("/re-capture?a=abbbc")]
    public async Task Comparisons_answer_like_nginx(string target)
    {
        var (nginx, sluice) = await _fixture.Rig.SendAsync(target);
        _output.WriteLine($"{target}: nginx {nginx.Status} {nginx.Body.Trim()}, sluice {sluice.Status} {sluice.Body.Trim()}");
        Assert.Equal(nginx.Status, sluice.Status);
        Assert.Equal(nginx.Body, sluice.Body);
    }
}
