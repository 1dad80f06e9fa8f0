using Sluice.Configuration.Directives;
using Sluice.Core;
using Sluice.Variables;

namespace Sluice.LimitReq;

/// <summary>Settings of nginx's <c>ngx_http_limit_req_module</c>, per http/server/location block.</summary>
public static class LimitReqSettings
{
    /// <summary>The block's <c>limit_req</c> lines; a block without any inherits its parent's.</summary>
    public static readonly ListSetting<LimitReqRule> Rules = new("limit_req");

    public static readonly Setting<LogLevel> LogLevel = new("limit_req_log_level", Core.LogLevel.Error);

    public static readonly Setting<long> Status = new("limit_req_status", 503);

    public static readonly Setting<bool> DryRun = new("limit_req_dry_run", false);
}

/// <summary>
/// A <c>limit_req_zone</c>: requests are counted per <see cref="Key"/> value (an empty value is not counted).
/// <see cref="Rate"/> is in nginx's unit, thousandths of a request per second, truncated as nginx truncates
/// (<c>10r/m</c> is 166).
/// </summary>
public sealed record LimitReqZone(string Name, VariableTemplate Key, long Size, long Rate) : IKeyedZone;

/// <summary>
/// A <c>limit_req</c> line: the zone (its data is the <see cref="LimitReqZone"/> once declared), the burst, and
/// how many excess requests pass undelayed: 0 by default, <c>delay=N</c>, or all with <c>nodelay</c> (null).
/// </summary>
public sealed record LimitReqRule(SharedZone Zone, long Burst, long? Delay, Configuration.Syntax.SourceLocation Location);
