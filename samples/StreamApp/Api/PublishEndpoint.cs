using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using StreamApp.Hosting;
using StreamApp.Metrics;
using StreamApp.Store;

namespace StreamApp.Api;

/// <summary>The answer to a publish: the id the store gave the event (its SSE id) and who took it.</summary>
public sealed record PublishResponse(string Id, string Channel, string Event, string Instance);

/// <summary>
/// <c>POST /api/publish</c>: appends an event to a channel. The body is either an envelope
/// <c>{"channel":"events","event":"message","data":…}</c> (any subset of those three keys) or any other JSON, which
/// is then the data itself (channel and event from <c>?channel=</c>/<c>?event=</c> or the defaults).
/// </summary>
internal sealed class PublishEndpoint(IEventStore store, InstanceInfo instance, AppMetrics metrics)
{
    /// <summary>SSE events are small; a large body is a mistake or an attack, not an event.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    public async Task HandleAsync(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "the body must be JSON");
            return;
        }
        catch (BadHttpRequestException e)
        {
            await ErrorAsync(context, e.StatusCode, e.Message);
            return;
        }

        using (body)
        {
            var channel = context.Request.Query["channel"].ToString() is { Length: > 0 } c ? c : Names.DefaultChannel;
            var type = context.Request.Query["event"].ToString() is { Length: > 0 } t ? t : Names.DefaultEvent;
            var data = body.RootElement;
            if (IsEnvelope(data))
            {
                var envelope = data;
                data = default;
                foreach (var property in envelope.EnumerateObject())
                {
                    switch (property.Name)
                    {
                        case "channel" when property.Value.ValueKind == JsonValueKind.String:
                            channel = property.Value.GetString()!;
                            break;
                        case "event" when property.Value.ValueKind == JsonValueKind.String:
                            type = property.Value.GetString()!;
                            break;
                        case "data":
                            data = property.Value;
                            break;
                        default:
                            await ErrorAsync(context, StatusCodes.Status400BadRequest, $"\"{property.Name}\" must be a string");
                            return;
                    }
                }
            }

            if (!Names.IsValid(channel) || !Names.IsValid(type))
            {
                await ErrorAsync(context, StatusCodes.Status400BadRequest, $"channel and event must be 1-{Names.MaxLength} letters, digits, '_', '-', '.' or ':'");
                return;
            }

            StoredEvent stored;
            try
            {
                stored = await store.AppendAsync(channel, type, Compact(data), instance.Id, context.RequestAborted);
            }
            catch (EventStoreUnavailableException e)
            {
                await ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, e.Message);
                return;
            }

            metrics.EventPublished();
            await context.Response.WriteAsJsonAsync(
                new PublishResponse(stored.Id.ToString(), channel, type, instance.Id),
                StreamAppJson.Default.PublishResponse);
        }
    }

    /// <summary>An object whose keys are all envelope keys; anything else is plain data.</summary>
    private static bool IsEnvelope(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var any = false;
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name is not ("channel" or "event" or "data"))
            {
                return false;
            }

            any = true;
        }

        return any;
    }

    /// <summary>Re-serialized without whitespace: the data has to fit on one SSE <c>data:</c> line.</summary>
    private static string Compact(JsonElement data)
    {
        if (data.ValueKind == JsonValueKind.Undefined)
        {
            return "null";
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            data.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private Task ErrorAsync(HttpContext context, int status, string error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(error, instance.Id), StreamAppJson.Default.ErrorResponse);
    }
}
