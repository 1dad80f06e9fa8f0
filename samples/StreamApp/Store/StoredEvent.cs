namespace StreamApp.Store;

/// <summary>One event as a channel holds it.</summary>
/// <param name="Id">Issued by the store when the event is appended; strictly increasing within a channel.</param>
/// <param name="Channel">The channel (a Redis Stream per channel).</param>
/// <param name="Type">The SSE <c>event:</c> name.</param>
/// <param name="Data">Compact JSON (no newlines, so it fits on one SSE <c>data:</c> line).</param>
/// <param name="Origin">The instance that accepted the publish.</param>
/// <param name="Timestamp">When it was appended.</param>
public sealed record StoredEvent(StreamId Id, string Channel, string Type, string Data, string Origin, DateTimeOffset Timestamp);
