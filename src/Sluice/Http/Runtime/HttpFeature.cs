using Sluice.Configuration;
using Sluice.Configuration.Directives;
using Sluice.Http.Configuration;
using Sluice.Logging;
using Sluice.Variables;

namespace Sluice.Http.Runtime;

/// <summary>
/// A feature's runtime builder (nginx's module init and handler registration): once per generation it
/// prepares what is shared (compiled log formats, upstream groups, zones), then it adds its phase
/// handlers and per-location objects to each location.
/// </summary>
public interface IHttpFeature
{
    void Prepare(HttpBuildContext context)
    {
    }

    void BuildLocation(LocationBuildContext location);
}

/// <summary>What feature builders see while a generation is built.</summary>
public sealed class HttpBuildContext
{
    public required ConfigCompiler Compiler { get; init; }

    public required HttpConfState State { get; init; }

    public required VariableResolver Variables { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>The random source of chance-based features (random balancing); fixed in tests.</summary>
    public Random Random { get; init; } = Random.Shared;

    public required ServerCounters Counters { get; init; }

    public required ErrorLog ErrorLog { get; init; }

    public required LogFiles LogFiles { get; init; }

    /// <summary>Error logs of locations with their own error_log, by target set.</summary>
    public Dictionary<string, ErrorLog> ErrorLogs { get; } = new(StringComparer.Ordinal);

    /// <summary>State carried over from the previous generation (upstream peer health, limit zones …), by type.</summary>
    public required IReadOnlyDictionary<Type, object> Previous { get; init; }

    /// <summary>State to carry over to the next generation.</summary>
    public Dictionary<Type, object> Carry { get; } = [];

    /// <summary>What runs when a request has finished (the log phase), in the order features added it.</summary>
    public List<Action<RequestContext>> Completed { get; } = [];

    public void OnRequestCompleted(Action<RequestContext> action) => Completed.Add(action);

    public CompiledTemplate Compile(VariableTemplate template) => Variables.Compile(template);

    /// <summary>Builds a location from a block that is not in the location tree (the body of an <c>if</c>).</summary>
    public required Func<ConfScope, ServerBuilder, LocationBuilder?, LocationRuntime> BuildPseudoLocation { get; init; }
}

/// <summary>One location (or a server's own context) being built.</summary>
public sealed class LocationBuildContext
{
    public required HttpBuildContext Http { get; init; }

    public required ConfScope Scope { get; init; }

    /// <summary>Null for a server's own context.</summary>
    public LocationBuilder? Builder { get; init; }

    public required ServerBuilder Server { get; init; }

    public required LocationRuntime Location { get; init; }

    public List<PhaseHandler> Handlers { get; } = [];

    public List<ResponseHeaderFilter> HeaderFilters { get; } = [];

    public Dictionary<Type, object> Features { get; } = [];

    public bool IsServerLevel => Builder is null;

    public T Get<T>(Setting<T> setting) => Scope.Get(setting);

    public IReadOnlyList<T> GetList<T>(ListSetting<T> setting) => Scope.GetList(setting);

    public CompiledTemplate Compile(VariableTemplate template) => Http.Compile(template);
}
