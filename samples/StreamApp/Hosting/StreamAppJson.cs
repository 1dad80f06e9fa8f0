using System.Text.Json.Serialization;
using StreamApp.Api;
using StreamApp.Health;

namespace StreamApp.Hosting;

/// <summary>Every JSON body the application writes, serialized without reflection, in the guide's snake_case.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(RootResponse))]
[JsonSerializable(typeof(PublishResponse))]
[JsonSerializable(typeof(LookupResponse))]
[JsonSerializable(typeof(SlowResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(LiveResponse))]
[JsonSerializable(typeof(ReadyResponse))]
[JsonSerializable(typeof(DetailedResponse))]
internal sealed partial class StreamAppJson : JsonSerializerContext;

/// <summary>Any failure answered by the application itself.</summary>
public sealed record ErrorResponse(string Error, string Instance);
