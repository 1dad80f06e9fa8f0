namespace StreamApp.Tests.Infrastructure;

/// <summary>Tests sharing a Redis keep apart by using channels of their own.</summary>
public static class TestChannel
{
    public static string New(string label = "t") => $"{label}-{Guid.NewGuid():N}";
}
