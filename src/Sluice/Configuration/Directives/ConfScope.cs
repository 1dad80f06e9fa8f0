using Sluice.Configuration.Syntax;

namespace Sluice.Configuration.Directives;

/// <summary>
/// One block while the configuration is being compiled (main, events, http, a server, a location, an
/// upstream, an if): the settings made directly in it and a link to the enclosing block for inheritance.
/// Mutable only during compilation; the compiled model copies what it needs.
/// </summary>
public sealed class ConfScope
{
    private readonly Dictionary<Setting, Entry> _values = [];

    public ConfScope(DirectiveContext kind, ConfScope? parent, SourceLocation location)
    {
        Kind = kind;
        Parent = parent;
        Location = location;
    }

    /// <summary>Which context this block is, deciding which directives it admits.</summary>
    public DirectiveContext Kind { get; }

    public ConfScope? Parent { get; }

    /// <summary>Where the block was opened.</summary>
    public SourceLocation Location { get; }

    /// <summary>The builder of the feature that owns this block (a server, a location, an upstream), if any.</summary>
    public object? Owner { get; set; }

    /// <summary>Stores a value; false when this block already set it.</summary>
    public bool TrySet<T>(Setting<T> setting, T value, SourceLocation at)
    {
        if (_values.ContainsKey(setting))
        {
            return false;
        }

        _values[setting] = new Entry(value, at);
        return true;
    }

    /// <summary>Overwrites a value set in this block (for settings nginx lets a later directive change, e.g. <c>access_log off</c>).</summary>
    public void Replace<T>(Setting<T> setting, T value, SourceLocation at) => _values[setting] = new Entry(value, at);

    public bool IsSetHere(Setting setting) => _values.ContainsKey(setting);

    /// <summary>The value set in this block, if any.</summary>
    public bool TryGetHere<T>(Setting<T> setting, out T value)
    {
        if (_values.TryGetValue(setting, out var entry))
        {
            value = (T)entry.Value!;
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>The value in effect here: this block's, else the nearest enclosing block's, else the default.</summary>
    public T Get<T>(Setting<T> setting)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._values.TryGetValue(setting, out var entry))
            {
                return (T)entry.Value!;
            }
        }

        return setting.Default;
    }

    /// <summary>Where the value in effect here was set; null when it is the default.</summary>
    public SourceLocation? WhereSet(Setting setting)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._values.TryGetValue(setting, out var entry))
            {
                return entry.Location;
            }
        }

        return null;
    }

    /// <summary>This block's own entries of a list setting, created on first use.</summary>
    public List<T> ListHere<T>(ListSetting<T> setting)
    {
        if (_values.TryGetValue(setting, out var entry))
        {
            return (List<T>)entry.Value!;
        }

        var list = new List<T>();
        _values[setting] = new Entry(list, Location);
        return list;
    }

    /// <summary>The list in effect here: the entries of the nearest block (this one first) that has any.</summary>
    public IReadOnlyList<T> GetList<T>(ListSetting<T> setting)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._values.TryGetValue(setting, out var entry) && entry.Value is List<T> { Count: > 0 } list)
            {
                return list;
            }
        }

        return [];
    }

    /// <summary>The nearest enclosing block (this one included) of the given kind.</summary>
    public ConfScope? Nearest(DirectiveContext kinds)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if ((scope.Kind & kinds) != 0)
            {
                return scope;
            }
        }

        return null;
    }

    private readonly record struct Entry(object? Value, SourceLocation Location);
}
