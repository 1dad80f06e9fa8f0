using System.Collections.Immutable;
using Sluice.Configuration.Values;

namespace Sluice.Configuration.Directives;

/// <summary>
/// Ready-made handlers for the common argument kinds, each with the wording of the nginx function it
/// mirrors (<c>ngx_conf_set_flag_slot</c>, <c>…_msec_slot</c>, <c>…_size_slot</c>, …): a second
/// occurrence in one block is <c>"x" directive is duplicate</c>, a bad value is <c>"x" directive invalid value</c>.
/// </summary>
public static class Slots
{
    /// <summary><c>on</c>/<c>off</c> (case-insensitive).</summary>
    public static DirectiveHandler Flag(Setting<bool> setting) => call =>
    {
        call.EnsureNotSet(setting);
        call.Set(setting, call.ParseFlag(call.Args[0]));
    };

    /// <summary><c>on</c>/<c>off</c> into a setting whose default means "not configured".</summary>
    public static DirectiveHandler Flag(Setting<bool?> setting) => call =>
    {
        call.EnsureNotSet(setting);
        call.Set<bool?>(setting, call.ParseFlag(call.Args[0]));
    };

    /// <summary>A time in milliseconds (<c>ngx_conf_set_msec_slot</c>).</summary>
    public static DirectiveHandler Msec(Setting<TimeSpan> setting) => call =>
    {
        call.EnsureNotSet(setting);
        call.Set(setting, call.ParseMsec(call.Args[0]));
    };

    /// <inheritdoc cref="Msec(Setting{TimeSpan})"/>
    public static DirectiveHandler Msec(Setting<TimeSpan?> setting) => call =>
    {
        call.EnsureNotSet(setting);
        call.Set<TimeSpan?>(setting, call.ParseMsec(call.Args[0]));
    };

    /// <summary>A time in whole seconds (<c>ngx_conf_set_sec_slot</c>).</summary>
    public static DirectiveHandler Sec(Setting<TimeSpan> setting) => call =>
    {
        call.EnsureNotSet(setting);
        call.Set(setting, call.ParseSec(call.Args[0]));
    };

    /// <summary>A byte size with k/m suffix (<c>ngx_conf_set_size_slot</c>).</summary>
    public static DirectiveHandler Size(Setting<long> setting) => call =>
    {
        call.EnsureNotSet(setting);
        call.Set(setting, call.ParseSize(call.Args[0]));
    };

    /// <summary>A byte size with k/m/g suffix (<c>ngx_conf_set_off_slot</c>).</summary>
    public static DirectiveHandler Offset(Setting<long> setting) => call =>
    {
        call.EnsureNotSet(setting);
        call.Set(setting, call.ParseOffset(call.Args[0]));
    };

    /// <summary>A non-negative number (<c>ngx_conf_set_num_slot</c>), optionally bounded (<c>ngx_conf_check_num_bounds</c>).</summary>
    public static DirectiveHandler Number(Setting<long> setting, long? low = null, long? high = null) => call =>
    {
        call.EnsureNotSet(setting);
        var value = call.ParseNumber(call.Args[0]);
        CheckBounds(call, value, low, high);
        call.Set(setting, value);
    };

    /// <inheritdoc cref="Number(Setting{long}, long?, long?)"/>
    public static DirectiveHandler Number(Setting<long?> setting, long? low = null, long? high = null) => call =>
    {
        call.EnsureNotSet(setting);
        var value = call.ParseNumber(call.Args[0]);
        CheckBounds(call, value, low, high);
        call.Set<long?>(setting, value);
    };

    private static void CheckBounds(DirectiveCall call, long value, long? low, long? high)
    {
        if (low is { } lo && high is { } hi && (value < lo || value > hi))
        {
            throw call.Error($"value must be between {lo} and {hi}");
        }

        if (low is { } min && high is null && value < min)
        {
            throw call.Error($"value must be equal to or greater than {min}");
        }
    }

    /// <summary>A string taken as written (<c>ngx_conf_set_str_slot</c>).</summary>
    public static DirectiveHandler Str(Setting<string?> setting) => call =>
    {
        call.EnsureNotSet(setting);
        call.Set(setting, call.Args[0]);
    };

    /// <summary>One of a fixed set of words, case-insensitive (<c>ngx_conf_set_enum_slot</c>).</summary>
    public static DirectiveHandler Enum<T>(Setting<T> setting, IReadOnlyDictionary<string, T> values) => call =>
    {
        call.EnsureNotSet(setting);
        foreach (var (name, value) in values)
        {
            if (string.Equals(name, call.Args[0], StringComparison.OrdinalIgnoreCase))
            {
                call.Set(setting, value);
                return;
            }
        }

        throw call.Error($"invalid value \"{call.Args[0]}\"");
    };

    /// <summary>Several words from a fixed set, case-insensitive, combined (<c>ngx_conf_set_bitmask_slot</c>).</summary>
    /// <remarks>nginx has no duplicate check here: a second occurrence in the same block adds its bits.</remarks>
    public static DirectiveHandler Bitmask(Setting<int> setting, IReadOnlyDictionary<string, int> bits) => call =>
    {
        call.Scope.TryGetHere(setting, out var mask);
        foreach (var word in call.Args)
        {
            var found = false;
            foreach (var (name, bit) in bits)
            {
                if (string.Equals(name, word, StringComparison.OrdinalIgnoreCase))
                {
                    if ((mask & bit) != 0)
                    {
                        call.Warn($"duplicate value \"{word}\"");
                    }

                    mask |= bit;
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                throw call.Error($"invalid value \"{word}\"");
            }
        }

        call.Scope.Replace(setting, mask, call.Location);
    };

    /// <summary>Appends the argument to a list (<c>ngx_conf_set_str_array_slot</c>).</summary>
    public static DirectiveHandler StrArray(ListSetting<string> setting) => call => call.Scope.ListHere(setting).Add(call.Args[0]);

    /// <summary>Appends a key and a value (<c>ngx_conf_set_keyval_slot</c>).</summary>
    public static DirectiveHandler KeyValue(ListSetting<KeyValuePair<string, string>> setting) => call =>
        call.Scope.ListHere(setting).Add(new KeyValuePair<string, string>(call.Args[0], call.Args[1]));

    /// <summary>A count and a size, <c>8 4k</c> (<c>ngx_conf_set_bufs_slot</c>).</summary>
    public static DirectiveHandler Buffers(Setting<BufferSpec?> setting) => call =>
    {
        call.EnsureNotSet(setting);
        if (!NginxValues.TryParseInt(call.Args[0], out var count) || count == 0)
        {
            throw call.DirectiveError("invalid value");
        }

        if (!NginxValues.TryParseSize(call.Args[1], out var size) || size == 0)
        {
            throw call.DirectiveError("invalid value");
        }

        call.Set<BufferSpec?>(setting, new BufferSpec(count, size));
    };

    /// <summary>A temp-path directive (<c>ngx_conf_set_path_slot</c>): a path and up to three hash levels.</summary>
    public static DirectiveHandler Path(Setting<TempPathSpec?> setting) => call =>
    {
        call.EnsureNotSet(setting);
        var total = 0L;
        for (var i = 1; i < call.Args.Length; i++)
        {
            if (!NginxValues.TryParseInt(call.Args[i], out var level) || level == 0)
            {
                throw call.DirectiveError("invalid value");
            }

            total += level;
        }

        // nginx limits the hashed directory part to ten characters in all.
        if (total > 10)
        {
            throw call.DirectiveError("invalid value");
        }

        var levels = call.Args.Skip(1).Select(int.Parse).ToImmutableArray();
        call.Compiler.State<Core.FilePathRegistry>().Add(call.Compiler.Environment, call.Args[0], levels, null, call.Location);
        call.Set<TempPathSpec?>(setting, new TempPathSpec(call.Args[0], levels));
    };

    /// <summary>Validates the arity only; used for directives Sluice accepts without storing anything.</summary>
    public static DirectiveHandler Ignore { get; } = _ => { };
}

/// <summary>A temp-path directive's directory as written, and its hash levels (<c>proxy_temp_path /spool 1 2</c>).</summary>
public sealed record TempPathSpec(string Path, ImmutableArray<int> Levels);

/// <summary>A buffer count and size (<c>proxy_buffers 8 4k</c>).</summary>
public readonly record struct BufferSpec(int Count, long Size);
