using System.Globalization;
using System.Text;

namespace Sluice.Proxy.Runtime;

/// <summary>
/// What the upstream attempts of one request did, for <c>$upstream_addr</c>, <c>$upstream_status</c> and the
/// timing variables: one entry per attempt, rendered as nginx does ("a:1, b:2").
/// </summary>
public sealed class UpstreamState
{
    private readonly List<Attempt> _attempts = [];

    public IReadOnlyList<Attempt> Attempts => _attempts;

    /// <summary>The response head of the attempt that answered (for <c>$upstream_http_*</c>).</summary>
    public Upstreams.Http1.ResponseHead? ResponseHead { get; set; }

    public Attempt Start(string address)
    {
        var attempt = new Attempt(address);
        _attempts.Add(attempt);
        return attempt;
    }

    public string Render(Func<Attempt, string> field)
    {
        if (_attempts.Count == 1)
        {
            return field(_attempts[0]);
        }

        var sb = new StringBuilder();
        for (var i = 0; i < _attempts.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(field(_attempts[i]));
        }

        return sb.ToString();
    }

    /// <summary>One attempt on one peer.</summary>
    public sealed class Attempt(string address)
    {
        public string Address { get; } = address;

        /// <summary>The upstream's status; 0 when none was received (nginx prints 502 or 504 then, as the status it finalized with).</summary>
        public int Status { get; set; }

        public TimeSpan? ConnectTime { get; set; }

        public TimeSpan? HeaderTime { get; set; }

        public TimeSpan? ResponseTime { get; set; }

        public long ResponseLength { get; set; }

        public long BytesSent { get; set; }

        public long BytesReceived { get; set; }
    }

    /// <summary>nginx's seconds with millisecond resolution; "-" when the phase did not happen.</summary>
    public static string Seconds(TimeSpan? time) =>
        time is { } t ? (Math.Max(0, (long)t.TotalMilliseconds) / 1000.0).ToString("0.000", CultureInfo.InvariantCulture) : "-";
}
