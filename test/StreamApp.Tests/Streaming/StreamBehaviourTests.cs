using System.Net;
using System.Text.RegularExpressions;
using StreamApp.Tests.Infrastructure;

namespace StreamApp.Tests.Streaming;

/// <summary>What a proxy in front of /stream relies on: headers, heartbeats, and clean accounting of disconnects.</summary>
public sealed partial class StreamBehaviourTests
{
    [Fact]
    public async Task The_stream_has_the_SSE_headers_that_turn_proxy_buffering_off()
    {
        await using var app = await AppInstance.StartAsync("hdr", redisUrl: null);
        await using var client = await app.StreamAsync();
        var response = client.Response;
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        Assert.Equal("no", Assert.Single(response.Headers.GetValues("X-Accel-Buffering")));
        Assert.Equal("hdr", Assert.Single(response.Headers.GetValues("X-Instance-Id")));
    }

    [Fact]
    public async Task Heartbeat_comments_arrive_at_the_requested_interval()
    {
        await using var app = await AppInstance.StartAsync("beat", redisUrl: null);
        await using var client = await app.StreamAsync("?heartbeat=0.2");
        var beats = new List<SseFrame>();
        while (beats.Count < 5)
        {
            var frame = await client.NextAsync(TimeSpan.FromSeconds(5));
            Assert.True(frame.IsComment, $"unexpected event {frame.Id}");
            Assert.Matches(HeartbeatPattern(), frame.Comment!);
            beats.Add(frame);
        }

        // Scheduling on a shared machine jitters; the average over four intervals does not drift far.
        var average = (beats[^1].At - beats[0].At) / (beats.Count - 1);
        Assert.InRange(average.TotalMilliseconds, 120, 600);
    }

    [Fact]
    public async Task The_configured_heartbeat_applies_when_the_query_does_not_override_it()
    {
        await using var app = await AppInstance.StartAsync("beat", redisUrl: null, o => o with { Heartbeat = TimeSpan.FromMilliseconds(250) });
        await using var client = await app.StreamAsync();
        var first = await client.NextAsync(TimeSpan.FromSeconds(3));
        var second = await client.NextAsync(TimeSpan.FromSeconds(3));
        Assert.True(first.IsComment && second.IsComment);
        // 250 ms configured against a default of 15 s: the gap tells them apart even when a loaded machine (the test
        // projects run side by side) delays a timer tick by a second or more.
        Assert.InRange((second.At - first.At).TotalMilliseconds, 100, 5000);
    }

    [Fact]
    public async Task A_client_that_disconnects_is_no_longer_counted_as_an_open_stream()
    {
        await using var app = await AppInstance.StartAsync("gauge", redisUrl: null);
        var one = await app.StreamAsync();
        var two = await app.StreamAsync();
        await Poll.UntilAsync(async () => await app.OpenStreamsAsync() == 2, TimeSpan.FromSeconds(5), "two open streams");
        Assert.Equal(2, await GaugeAsync(app));

        await one.DisposeAsync();
        await Poll.UntilAsync(async () => await app.OpenStreamsAsync() == 1, TimeSpan.FromSeconds(5), "one open stream after a disconnect");
        Assert.Equal(1, await GaugeAsync(app));

        await two.DisposeAsync();
        await Poll.UntilAsync(async () => await app.OpenStreamsAsync() == 0, TimeSpan.FromSeconds(5), "no open stream");
        Assert.Equal(0, await GaugeAsync(app));

        // The server still serves streams afterwards (no stuck subscription, no exception state).
        await using var three = await app.StreamAsync();
        var id = await app.PublishAsync("events", new { after = "disconnects" });
        Assert.Equal(id, (await three.NextEventAsync()).Id);
    }

    [Theory]
    [InlineData("?channel=bad%0Aname")]
    [InlineData("?heartbeat=0")]
    [InlineData("?heartbeat=abc")]
    [InlineData("?lastEventId=not-an-id")]
    public async Task Bad_parameters_are_rejected_before_the_stream_starts(string query)
    {
        await using var app = await AppInstance.StartAsync("bad", redisUrl: null);
        using var response = await app.Client.GetAsync("stream" + query, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"instance\":\"bad\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<double> GaugeAsync(AppInstance app)
    {
        var (_, samples) = PrometheusText.Parse(await app.Client.GetStringAsync("metrics"));
        return samples.Single(s => s.Name == "streamapp_sse_streams_open").Value;
    }

    [GeneratedRegex(@"^heartbeat \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")]
    private static partial Regex HeartbeatPattern();
}
