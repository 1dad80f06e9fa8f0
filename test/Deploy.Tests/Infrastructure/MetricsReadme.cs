using System.Text.RegularExpressions;

namespace Deploy.Tests.Infrastructure;

/// <summary>One row of deploy/README.md's metrics contract: a metric family, its type and its labels.</summary>
public sealed record DocumentedMetric(string Name, string Type, IReadOnlyList<string> Labels);

/// <summary>
/// The metrics contract of deploy/README.md ("## Metrics contract"): the families Sluice's /metrics and the
/// applications' /metrics expose, which prometheus/alerts.yml and the Grafana dashboard query, and the
/// latency buckets. The tests hold the real programs' output and the queries to it.
/// </summary>
public static partial class MetricsReadme
{
    private static readonly (IReadOnlyList<DocumentedMetric> Metrics, IReadOnlyList<string> Buckets) Contract = Parse();

    public static IReadOnlyList<DocumentedMetric> Metrics => Contract.Metrics;

    /// <summary>The documented upper bounds of the latency histograms, as Prometheus writes them ("+Inf" last).</summary>
    public static IReadOnlyList<string> LatencyBuckets => Contract.Buckets;

    /// <summary>The sluice_ and streamapp_ names a PromQL text uses, histogram series (_bucket, _sum, _count) by their family.</summary>
    public static IReadOnlySet<string> NamesUsedIn(string promql) =>
        MetricName().Matches(promql).Select(m => HistogramSeries().Replace(m.Value, "")).ToHashSet(StringComparer.Ordinal);

    private static (IReadOnlyList<DocumentedMetric>, IReadOnlyList<string>) Parse()
    {
        var readme = File.ReadAllText(Repo.Deploy("README.md"));
        var start = readme.IndexOf("## Metrics contract", StringComparison.Ordinal);
        Assert.True(start >= 0, "deploy/README.md has no \"## Metrics contract\" section");
        var section = readme[start..];
        section = section[..(section.IndexOf("\n## ", 3, StringComparison.Ordinal) is var end and > 0 ? end : section.Length)];
        var metrics = Row().Matches(section)
            .Select(m => new DocumentedMetric(
                m.Groups["name"].Value,
                m.Groups["type"].Value,
                [.. Quoted().Matches(m.Groups["labels"].Value).Select(l => l.Groups[1].Value)]))
            .ToList();
        Assert.True(metrics.Count > 0, "no metric rows in deploy/README.md's metrics contract");

        var bucketText = Buckets().Match(section);
        Assert.True(bucketText.Success, "deploy/README.md's metrics contract no longer lists the latency buckets");
        return (metrics, [.. bucketText.Groups["list"].Value.Split(", "), "+Inf"]);
    }

    [GeneratedRegex(@"^\| `(?<name>[a-z_0-9]+)` \| (?<type>counter|gauge|histogram) \| (?<labels>[^|]*) \|", RegexOptions.Multiline)]
    private static partial Regex Row();

    [GeneratedRegex("`([a-z_]+)`")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"Buckets: (?<list>[0-9., ]+?) \(and `\+Inf`\)")]
    private static partial Regex Buckets();

    [GeneratedRegex(@"\b(?:sluice|streamapp)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSeries();
}
