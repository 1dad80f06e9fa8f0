using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using StreamApp.Hosting;

namespace StreamApp.Api;

public sealed record LookupResponse(string Key, string Value, string Instance);

/// <summary>
/// <c>GET /api/lookup?key=K</c>: a cacheable answer for the guide's proxy_cache section. The value depends on the
/// key alone, so every instance gives the same one; the body's <c>instance</c> shows which instance (or the cache)
/// actually answered.
/// </summary>
internal sealed class LookupEndpoint(InstanceInfo instance)
{
    public const int MaxKeyLength = 256;

    public Task HandleAsync(HttpContext context)
    {
        var key = context.Request.Query["key"].ToString();
        if (key.Length is 0 or > MaxKeyLength)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return context.Response.WriteAsJsonAsync(new ErrorResponse($"key must be 1-{MaxKeyLength} characters", instance.Id), StreamAppJson.Default.ErrorResponse);
        }

        context.Response.Headers.CacheControl = "public, max-age=60";
        return context.Response.WriteAsJsonAsync(new LookupResponse(key, ValueOf(key), instance.Id), StreamAppJson.Default.LookupResponse);
    }

    /// <summary>The first 16 hex digits of SHA-256(key): deterministic, and different for different keys.</summary>
    public static string ValueOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
}
