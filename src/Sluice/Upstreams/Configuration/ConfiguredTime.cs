namespace Sluice.Upstreams.Configuration;

/// <summary>Conversions of nginx's configured times, which may exceed what a <see cref="TimeSpan"/> holds.</summary>
internal static class ConfiguredTime
{
    /// <summary>nginx's time_t seconds; a value beyond TimeSpan's range is "forever" for any practical purpose.</summary>
    public static TimeSpan FromSeconds(long seconds) =>
        seconds >= (long)TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds);
}
