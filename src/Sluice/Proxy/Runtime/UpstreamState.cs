using System.Globalization;
using System.Text;
using Sluice.Upstreams.Balancing;
using Sluice.Upstreams.Http1;

namespace Sluice.Proxy.Runtime;

/// <summary>
/// What the upstream attempts of one request did, for <c>$upstream_addr</c>, <c>$upstream_status</c> and the
/// timing variables: one entry per attempt, rendered as nginx does ("a:1, b:2"). It also holds the per-request
/// objects of proxying (the peer selection, the exchange, the response head), and is reset and reused for
/// the next request of the same client connection, so a proxied request allocates none of them.
/// </summary>
public sealed class UpstreamState
{
    private readonly List<Attempt> _attempts = [];
    private int _count;

    public IReadOnlyList<Attempt> Attempts => _attempts.GetRange(0, _count);

    /// <summary>The response head of the attempt that answered (for <c>$upstream_http_*</c>); null until one did.</summary>
    public ResponseHead? ResponseHead { get; set; }

    /// <summary>The head buffer the attempts parse into (one at a time).</summary>
    internal ResponseHead Head { get; } = new();

    /// <summary>The balancer's state for this request, kept for reuse.</summary>
    internal PeerSelection? Selection { get; set; }

    /// <summary>The exchange object of the attempts, kept for reuse.</summary>
    internal UpstreamExchange? Exchange { get; set; }

    /// <summary><c>$proxy_host</c>: the host (and non-default port) of the proxy_pass URL, evaluated for this request.</summary>
    public string? ProxyHost { get; set; }

    /// <summary><c>$proxy_port</c>: the port of the proxy_pass URL, or the scheme's default.</summary>
    public string? ProxyPort { get; set; }

    public void Reset()
    {
        _count = 0;
        ResponseHead = null;
        ProxyHost = null;
        ProxyPort = null;
    }

    public Attempt Start(string address)
    {
        if (_count == _attempts.Count)
        {
            _attempts.Add(new Attempt());
        }

        var attempt = _attempts[_count++];
        attempt.Reset(address);
        return attempt;
    }

    /// <summary>One field of every attempt, nginx's way; null (not found) when no peer was tried.</summary>
    public string? Render(Func<Attempt, string> field)
    {
        if (_count == 0)
        {
            return null;
        }

        if (_count == 1)
        {
            return field(_attempts[0]);
        }

        var sb = new StringBuilder();
        for (var i = 0; i < _count; i++)
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
    public sealed class Attempt
    {
        public string Address { get; private set; } = "";

        /// <summary>The upstream's status; 0 when none was received (nginx prints 502 or 504 then, as the status it finalized with).</summary>
        public int Status { get; set; }

        public TimeSpan? ConnectTime { get; set; }

        public TimeSpan? HeaderTime { get; set; }

        public TimeSpan? ResponseTime { get; set; }

        public long ResponseLength { get; set; }

        public long BytesSent { get; set; }

        public long BytesReceived { get; set; }

        internal void Reset(string address)
        {
            Address = address;
            Status = 0;
            ConnectTime = null;
            HeaderTime = null;
            ResponseTime = null;
            ResponseLength = 0;
            BytesSent = 0;
            BytesReceived = 0;
        }
    }

    /// <summary>nginx's seconds with millisecond resolution; "-" when the phase did not happen.</summary>
    public static string Seconds(TimeSpan? time) =>
        time is { } t ? (Math.Max(0, (long)t.TotalMilliseconds) / 1000.0).ToString("0.000", CultureInfo.InvariantCulture) : "-";
}
