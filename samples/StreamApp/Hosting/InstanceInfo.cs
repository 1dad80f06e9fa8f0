using System.Reflection;

namespace StreamApp.Hosting;

/// <summary>Who this instance is: what every response says about itself.</summary>
public sealed class InstanceInfo
{
    public InstanceInfo(string id, string store, DateTimeOffset startedAt)
    {
        Id = id;
        Store = store;
        StartedAt = startedAt;
    }

    public string Id { get; }

    /// <summary><c>redis</c> or <c>embedded</c>.</summary>
    public string Store { get; }

    public DateTimeOffset StartedAt { get; }

    public static string Version { get; } =
        typeof(InstanceInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(InstanceInfo).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";
}
