using Sluice.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.FunctionalTests.Streaming;

/// <summary>
/// The guide's <c>/stream</c> locations as printed — the "SSE/Streaming" block of section 7.2 and the SSE block
/// of the production template (section 10.3, without its <c>limit_req</c>, which Sluice does not implement
/// yet) — side by side with nginx: every event reaches the client before the backend writes the next.
/// </summary>
public sealed class SeedStreamLocationTests : IClassFixture<SeedStreamLocationTests.Fixture>
{
    private const int Events = 5;
    private readonly Fixture _fixture;
    private readonly ITestOutputHelper _output;

    public SeedStreamLocationTests(Fixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    public sealed class Fixture : IAsyncLifetime
    {
        public DifferentialRig Rig { get; private set; } = null!;

        public ScriptedBackend Backend { get; } = new();

        public AcknowledgedEvents Events { get; } = new();

        public async Task InitializeAsync()
        {
            Backend.On("/", Events.Script(SeedStreamLocationTests.Events, TimeSpan.FromSeconds(5)));
            Rig = await DifferentialRig.StartAsync("""
                events {}
                http {
                    upstream backend {
                        least_conn;
                        server BACKEND max_fails=3 fail_timeout=30s;
                        keepalive 32;
                    }

                    server {
                        listen {{LISTEN}};

                        # Section 7.2, "SSE/Streaming".
                        location /stream {
                            proxy_pass http://backend;
                            
                            # Disable buffering
                            proxy_buffering off;
                            proxy_cache off;
                            proxy_set_header X-Accel-Buffering no;
                            
                            # Prevent timeouts
                            proxy_read_timeout 300s;
                        }

                        # Section 10.3, "SSE streaming" (limit_req left out).
                        location /production/stream {
                            proxy_pass http://backend;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_buffering off;
                            proxy_cache off;
                            proxy_set_header X-Accel-Buffering no;
                            
                            proxy_read_timeout 300s;
                        }
                    }
                }
                """.Replace("BACKEND", Backend.Address, StringComparison.Ordinal));
        }

        public async Task DisposeAsync()
        {
            await Rig.DisposeAsync();
            await Backend.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("/stream/events")]
    [InlineData("/production/stream/events")]
    public async Task Each_event_reaches_the_client_before_the_next_is_written(string location)
    {
        foreach (var (who, port) in new[] { ("nginx", _fixture.Rig.NginxPort), ("sluice", _fixture.Rig.SluicePort) })
        {
            var inTime = await _fixture.Events.ReadAsync(port, $"{location}?{who}", Events, "Accept: text/event-stream\r\n");
            _output.WriteLine($"{who} {location}: {inTime} of {Events} events arrived before the next was written");
            Assert.Equal(Events, inTime);
        }
    }
}
