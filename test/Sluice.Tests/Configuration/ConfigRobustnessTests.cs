using System.Diagnostics;
using System.Text;
using Sluice.Configuration;
using Sluice.Configuration.Syntax;

namespace Sluice.Tests.Configuration;

/// <summary>
/// Whatever the input, loading a configuration ends with a verdict: success or nginx-style errors.
/// Never another exception, never a hang. Truncations and 100,000 random mutations of the corpus
/// (fixed seed, so a failure reproduces) are thrown at the parser and compiler.
/// </summary>
public sealed class ConfigRobustnessTests
{
    /// <summary>Messages nginx itself prints without a file:line.</summary>
    private static readonly string[] LocationlessMessages =
    [
        "no \"events\" section in configuration", "unknown \"", "zero size shared memory zone", "no \"ssl_certificate_key\" is defined", "open() \"", "pread() \"",
        "conflicting server name", "cannot load certificate", "cannot load certificate key",
    ];

    private static ConfigLoadResult Load(string mainText) =>
        new ConfigLoader(Environment(), CorpusFiles.FileSystem(mainText)).Load(ConfigTestHelper.MainPath);

    private static ConfigEnvironment Environment() => new()
    {
        Prefix = ConfigTestHelper.Prefix,
        ConfPrefix = ConfigTestHelper.Prefix + "conf/",
        Resolver = LiteralHostResolver.Instance,
        IsSuperUser = false,
        UserExists = _ => true,
        GroupExists = _ => true,
    };

    [Fact]
    public void Every_truncated_prefix_of_a_valid_config_fails_with_a_located_error_or_passes()
    {
        var checkedPrefixes = 0;
        foreach (var (name, text) in CorpusFiles.Valid)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            for (var length = 0; length < bytes.Length; length++)
            {
                var prefix = Encoding.UTF8.GetString(bytes, 0, length);
                var result = LoadOrFail(prefix, $"{name} truncated to {length} bytes");
                checkedPrefixes++;
                if (result.Success)
                {
                    continue;
                }

                var error = result.Diagnostics.First(d => d.Level <= DiagnosticLevel.Crit);
                Assert.True(
                    error.Location is not null || LocationlessMessages.Any(m => error.Message.StartsWith(m, StringComparison.Ordinal)),
                    $"{name} truncated to {length} bytes: error without location: {error}");
            }
        }

        Assert.True(checkedPrefixes > 10_000);
    }

    [Fact]
    public void A_hundred_thousand_mutated_configs_give_only_config_errors()
    {
        const int Count = 100_000;
        var random = new Random(20261128);
        var corpus = CorpusFiles.Valid;
        var vocabulary = corpus.SelectMany(c => c.Text.Split([' ', '\n', ';', '\t'], StringSplitOptions.RemoveEmptyEntries)).Distinct().ToArray();
        string? current = null;
        var done = 0;
        Thread worker;
        Exception? failure = null;
        worker = new Thread(() =>
        {
            try
            {
                for (var i = 0; i < Count; i++)
                {
                    current = Mutate(corpus[random.Next(corpus.Count)].Text, random, vocabulary);
                    LoadOrFail(current, $"mutation {i}");
                    done++;
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        var clock = Stopwatch.StartNew();
        worker.Start();
        var lastDone = -1;
        while (!worker.Join(TimeSpan.FromSeconds(10)))
        {
            // A load that makes no progress for ten seconds is a hang.
            Assert.True(done != lastDone, $"no progress after {done} mutations; stuck on:\n{current}");
            lastDone = done;
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(10), "mutation test took too long");
        }

        if (failure is not null)
        {
            throw failure;
        }

        Assert.Equal(Count, done);
    }

    private static ConfigLoadResult LoadOrFail(string text, string what)
    {
        try
        {
            return Load(text);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{what} threw {e.GetType().Name}: {e.Message}\n--- config ---\n{text}\n--- end ---\n{e}");
        }
    }

    private const string Alphabet = "{};\"'\\$#\n ()~*=^@/:.0123456789abcxyz_-";

    /// <summary>One to three edits: delete, insert, replace a word, duplicate or swap lines, truncate.</summary>
    private static string Mutate(string text, Random random, string[] vocabulary)
    {
        var sb = new StringBuilder(text);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits && sb.Length > 0; e++)
        {
            var at = random.Next(sb.Length);
            switch (random.Next(7))
            {
                case 0:
                    sb.Remove(at, Math.Min(random.Next(1, 6), sb.Length - at));
                    break;
                case 1:
                    sb.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                    break;
                case 2:
                    sb[at] = Alphabet[random.Next(Alphabet.Length)];
                    break;
                case 3:
                    sb.Insert(at, " " + vocabulary[random.Next(vocabulary.Length)] + " ");
                    break;
                case 4:
                    {
                        var lines = sb.ToString().Split('\n').ToList();
                        var line = random.Next(lines.Count);
                        lines.Insert(line, lines[random.Next(lines.Count)]);
                        sb.Clear().Append(string.Join('\n', lines));
                        break;
                    }

                case 5:
                    {
                        var lines = sb.ToString().Split('\n');
                        var a = random.Next(lines.Length);
                        var b = random.Next(lines.Length);
                        (lines[a], lines[b]) = (lines[b], lines[a]);
                        sb.Clear().Append(string.Join('\n', lines));
                        break;
                    }

                default:
                    sb.Length = at;
                    break;
            }
        }

        return sb.ToString();
    }
}
