using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Streaming;

/// <summary>
/// The upstream timeouts measure the upstream, side by side with nginx: proxy_read_timeout runs only while the
/// proxy waits for the upstream's next bytes, never while the response waits for a slow client.
/// </summary>
public sealed class UpstreamTimeoutsDifferentialTests : IClassFixture<UpstreamTimeoutsDifferentialTests.Fixture>
{
    private const long Total = 8L * 1024 * 1024;
    private readonly Fixture _fixture;
    private readonly ITestOutputHelper _output;

    public UpstreamTimeoutsDifferentialTests(Fixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    private DifferentialRig Rig => _fixture.Rig;

    public sealed class Fixture : DifferentialFixture
    {
        protected override int Backends => 1;

        protected override string Config => """
            events {}
            http {
                access_log off;
                upstream backend { server {{B1}}; }
                server {
                    listen {{LISTEN}};
                    location /buffered/ { proxy_pass http://backend/; proxy_read_timeout 1s; }
                    location /unbuffered/ { proxy_pass http://backend/; proxy_read_timeout 1s; proxy_buffering off; }
                }
            }
            """;
    }

    [Theory]
    [InlineData("/buffered/")]
    [InlineData("/unbuffered/")]
    public async Task A_client_that_pauses_longer_than_the_read_timeout_still_gets_the_whole_body(string location)
    {
        foreach (var (who, port) in new[] { ("nginx", Rig.NginxPort), ("sluice", Rig.SluicePort) })
        {
            using var client = await RawHttpClient.ConnectAsync(port);
            await client.SendAsync($"GET {location}bytes/{Total} HTTP/1.1\r\nHost: a\r\n\r\n");
            var head = await client.ReadHeadAsync();
            Assert.NotNull(head);
            Assert.Equal(200, head.Status);
            var (first, _) = await client.ReadBodyAsync(64 * 1024);

            // Three times the read timeout without reading: the upstream is not what is slow.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var (rest, reset) = await client.ReadBodyAsync(Total - first);
            _output.WriteLine($"{who} {location}: {first + rest} of {Total} bytes, reset: {reset}");
            Assert.False(reset);
            Assert.Equal(Total, first + rest);
        }
    }
}
