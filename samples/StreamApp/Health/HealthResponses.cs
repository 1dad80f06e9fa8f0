namespace StreamApp.Health;

public sealed record LiveResponse(string Status, string Instance, DateTimeOffset Timestamp);

public sealed record ReadyResponse(string Status, string Instance, IReadOnlyDictionary<string, string> Components, string? Error, DateTimeOffset Timestamp);

public sealed record DetailedResponse(
    string Status,
    string Instance,
    string Version,
    string Store,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    DateTimeOffset Timestamp,
    IReadOnlyDictionary<string, ComponentReport> Components,
    StreamsReport Streams,
    RequestsReport Requests,
    EventsReport Events);

public sealed record ComponentReport(string Status, string? Description, string? Error, double DurationMs, IReadOnlyDictionary<string, string>? Data);

public sealed record StreamsReport(int Open);

public sealed record RequestsReport(long Total, long Errors);

public sealed record EventsReport(long Published, long Delivered);
