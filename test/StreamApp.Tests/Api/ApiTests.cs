using System.Net;
using System.Text;
using System.Text.Json;
using StreamApp.Tests.Infrastructure;

namespace StreamApp.Tests.Api;

/// <summary>The endpoints a balancer's tests drive: cacheable lookups, slow answers, chosen statuses, publishing.</summary>
public sealed class ApiTests
{
    [Fact]
    public async Task Lookup_is_cacheable_and_the_same_on_every_instance()
    {
        await using var a = await AppInstance.StartAsync("app-a", redisUrl: null);
        await using var b = await AppInstance.StartAsync("app-b", redisUrl: null);
        using var fromA = await a.Client.GetAsync("api/lookup?key=user:42");
        using var fromB = await b.Client.GetAsync("api/lookup?key=user:42");
        Assert.Equal(HttpStatusCode.OK, fromA.StatusCode);
        Assert.Equal("public, max-age=60", fromA.Headers.CacheControl?.ToString());
        using var jsonA = JsonDocument.Parse(await fromA.Content.ReadAsStringAsync());
        using var jsonB = JsonDocument.Parse(await fromB.Content.ReadAsStringAsync());
        Assert.Equal("user:42", jsonA.RootElement.GetProperty("key").GetString());
        Assert.Equal(jsonA.RootElement.GetProperty("value").GetString(), jsonB.RootElement.GetProperty("value").GetString());
        Assert.Equal("app-a", jsonA.RootElement.GetProperty("instance").GetString());
        Assert.Equal("app-b", jsonB.RootElement.GetProperty("instance").GetString());

        using var other = await a.Client.GetAsync("api/lookup?key=user:43");
        using var jsonOther = JsonDocument.Parse(await other.Content.ReadAsStringAsync());
        Assert.NotEqual(jsonA.RootElement.GetProperty("value").GetString(), jsonOther.RootElement.GetProperty("value").GetString());

        using var missing = await a.Client.GetAsync("api/lookup");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }

    [Fact]
    public async Task Slow_waits_and_status_answers_with_the_code_asked_for()
    {
        await using var app = await AppInstance.StartAsync("t", redisUrl: null);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (slowStatus, slow) = await app.GetJsonAsync("api/slow?ms=200");
        using (slow)
        {
            Assert.Equal(200, slowStatus);
            Assert.True(started.ElapsedMilliseconds >= 190, $"answered after {started.ElapsedMilliseconds} ms");
            Assert.Equal(200, slow.RootElement.GetProperty("slept_ms").GetInt32());
        }

        foreach (var code in new[] { 200, 404, 500, 502, 503 })
        {
            using var response = await app.Client.PostAsync($"api/status?code={code}", null);
            Assert.Equal(code, (int)response.StatusCode);
            Assert.Equal("t", Assert.Single(response.Headers.GetValues("X-Instance-Id")));
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(code, json.RootElement.GetProperty("status").GetInt32());
        }

        using var noContent = await app.Client.GetAsync("api/status?code=204");
        Assert.Equal(HttpStatusCode.NoContent, noContent.StatusCode);
        using var bad = await app.Client.GetAsync("api/status?code=99");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Every_response_names_the_instance_even_a_404()
    {
        await using var app = await AppInstance.StartAsync("who", redisUrl: null);
        foreach (var path in new[] { "", "health/live", "health/ready", "health/detailed", "metrics", "no/such/path" })
        {
            using var response = await app.Client.GetAsync(path);
            Assert.Equal("who", Assert.Single(response.Headers.GetValues("X-Instance-Id")));
        }

        var (status, live) = await app.GetJsonAsync("health/live");
        using (live)
        {
            Assert.Equal(200, status);
            Assert.Equal("alive", live.RootElement.GetProperty("status").GetString());
            Assert.Equal("who", live.RootElement.GetProperty("instance").GetString());
            Assert.True(live.RootElement.TryGetProperty("timestamp", out _));
        }
    }

    [Fact]
    public async Task Publish_takes_an_envelope_or_any_JSON_as_data_and_rejects_what_would_break_a_stream()
    {
        await using var app = await AppInstance.StartAsync("pub", redisUrl: null);
        var channel = TestChannel.New("api");
        await using var client = await app.StreamAsync($"?channel={channel}");

        // Any JSON that is not an envelope is the data; channel and event come from the query.
        using (var plain = new StringContent("[1,  2,\n 3]", Encoding.UTF8, "application/json"))
        using (var response = await app.Client.PostAsync($"api/publish?channel={channel}&event=numbers", plain))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var frame = await client.NextEventAsync();
        Assert.Equal("numbers", frame.Type);
        Assert.Equal("[1,2,3]", frame.ParseData().GetProperty("data").GetRawText());

        foreach (var (body, status) in new[]
        {
            ("not json", HttpStatusCode.BadRequest),
            ("", HttpStatusCode.BadRequest),
            ($$"""{"channel":"bad\nchannel","data":1}""", HttpStatusCode.BadRequest),
            ($$"""{"channel":"{{channel}}","event":"two words","data":1}""", HttpStatusCode.BadRequest),
            ($$"""{"channel":7,"data":1}""", HttpStatusCode.BadRequest),
        })
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await app.Client.PostAsync("api/publish", content);
            Assert.Equal(status, response.StatusCode);
        }

        await client.ExpectNoEventAsync(TimeSpan.FromMilliseconds(200));
    }
}
