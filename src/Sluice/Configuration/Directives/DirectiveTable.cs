using System.Collections.Frozen;

namespace Sluice.Configuration.Directives;

/// <summary>
/// Every directive Sluice knows, looked up by name. A name may have several rows for different contexts
/// (<c>server</c> in http and in upstream, <c>keepalive_timeout</c> for clients and for upstreams), as in nginx.
/// </summary>
public sealed class DirectiveTable
{
    private readonly Dictionary<string, List<DirectiveSpec>> _building = new(StringComparer.Ordinal);
    private FrozenDictionary<string, DirectiveSpec[]>? _frozen;

    public void Add(DirectiveSpec spec)
    {
        if (_frozen is not null)
        {
            throw new InvalidOperationException("The directive table is already in use.");
        }

        if (!_building.TryGetValue(spec.Name, out var list))
        {
            list = [];
            _building[spec.Name] = list;
        }

        list.Add(spec);
    }

    /// <summary>The rows for a name in registration order; empty when the name is unknown.</summary>
    public ReadOnlySpan<DirectiveSpec> Find(string name)
    {
        _frozen ??= _building.ToFrozenDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        return _frozen.TryGetValue(name, out var specs) ? specs : [];
    }

    private readonly List<Action<ConfigCompiler>> _compileHooks = [];

    /// <summary>Work a feature needs at the start of every compilation (e.g. registering checks that run even if none of its directives appear).</summary>
    public void OnCompile(Action<ConfigCompiler> hook) => _compileHooks.Add(hook);

    internal IReadOnlyList<Action<ConfigCompiler>> CompileHooks => _compileHooks;

    /// <summary>Every row, for documentation and <c>-V</c>.</summary>
    public IEnumerable<DirectiveSpec> All => _building.Values.SelectMany(l => l);
}
