namespace StreamApp.Api;

/// <summary>
/// Channel and event names come from clients and end up in Redis keys and on SSE <c>event:</c> lines, where a line
/// break would forge a frame. So they are short and drawn from a safe alphabet.
/// </summary>
public static class Names
{
    public const string DefaultChannel = "events";
    public const string DefaultEvent = "message";
    public const int MaxLength = 64;

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '.' or ':'))
            {
                return false;
            }
        }

        return true;
    }
}
