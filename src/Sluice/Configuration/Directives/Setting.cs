namespace Sluice.Configuration.Directives;

/// <summary>
/// A named, typed setting stored in a <see cref="ConfScope"/>: set at most once per block (a second time is
/// nginx's <c>"x" directive is duplicate</c>), inherited by inner blocks that do not set it, else
/// <see cref="Default"/> — nginx's <c>ngx_conf_merge_*_value</c> in one type.
/// </summary>
public class Setting
{
    protected Setting(string name) => Name = name;

    public string Name { get; }

    public override string ToString() => Name;
}

/// <inheritdoc cref="Setting"/>
public sealed class Setting<T> : Setting
{
    public Setting(string name, T defaultValue)
        : base(name) => Default = defaultValue;

    public T Default { get; }
}

/// <summary>
/// A setting made of entries that accumulate within one block (<c>proxy_set_header</c>, <c>add_header</c>,
/// <c>allow</c>/<c>deny</c>). An inner block inherits the outer list only if it has no entry of its own —
/// nginx's array inheritance, which operators know to trip over.
/// </summary>
public sealed class ListSetting<T> : Setting
{
    public ListSetting(string name)
        : base(name)
    {
    }
}
