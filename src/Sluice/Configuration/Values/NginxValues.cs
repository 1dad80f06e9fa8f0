namespace Sluice.Configuration.Values;

/// <summary>
/// nginx's scalar argument syntaxes, with its exact acceptance rules (so that a value nginx refuses is
/// refused here, and one it takes is read the same way):
/// sizes (<c>ngx_parse_size</c>: <c>128</c>, <c>128k</c>, <c>10m</c>), offsets (<c>ngx_parse_offset</c>: also
/// <c>1g</c>), times (<c>ngx_parse_time</c>: <c>1h 30m</c>, <c>300ms</c>, a bare number is seconds),
/// numbers (<c>ngx_atoi</c>) and on/off flags.
/// </summary>
public static class NginxValues
{
    /// <summary>A decimal without sign (nginx's <c>ngx_atoi</c>): digits only, no overflow past int64.</summary>
    public static bool TryParseNumber(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty)
        {
            return false;
        }

        const long cutoff = long.MaxValue / 10;
        const long cutlim = long.MaxValue % 10;
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            var digit = c - '0';
            if (value >= cutoff && (value > cutoff || digit > cutlim))
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }

    /// <summary>A number that fits an int (nginx's <c>ngx_int_t</c> values that configure counts).</summary>
    public static bool TryParseInt(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        if (!TryParseNumber(text, out var n) || n > int.MaxValue)
        {
            return false;
        }

        value = (int)n;
        return true;
    }

    /// <summary><c>ngx_parse_size</c>: a byte count with an optional <c>k</c> or <c>m</c> suffix (either case).</summary>
    public static bool TryParseSize(ReadOnlySpan<char> text, out long bytes) => TryParseScaled(text, allowGiga: false, out bytes);

    /// <summary><c>ngx_parse_offset</c>: like a size but <c>g</c> is also accepted.</summary>
    public static bool TryParseOffset(ReadOnlySpan<char> text, out long bytes) => TryParseScaled(text, allowGiga: true, out bytes);

    private static bool TryParseScaled(ReadOnlySpan<char> text, bool allowGiga, out long bytes)
    {
        bytes = 0;
        if (text.IsEmpty)
        {
            return false;
        }

        long scale = 1;
        switch (text[^1])
        {
            case 'k' or 'K':
                scale = 1024;
                text = text[..^1];
                break;
            case 'm' or 'M':
                scale = 1024 * 1024;
                text = text[..^1];
                break;
            case 'g' or 'G' when allowGiga:
                scale = 1024 * 1024 * 1024;
                text = text[..^1];
                break;
        }

        if (!TryParseNumber(text, out var n) || n > long.MaxValue / scale)
        {
            return false;
        }

        bytes = n * scale;
        return true;
    }

    /// <summary><c>ngx_parse_time(…, 0)</c>: milliseconds. Units <c>w d h m s ms</c>, largest first, a bare number means seconds.</summary>
    public static bool TryParseMilliseconds(ReadOnlySpan<char> text, out long milliseconds) => TryParseTime(text, isSeconds: false, out milliseconds);

    /// <summary><c>ngx_parse_time(…, 1)</c>: seconds. Units <c>y M w d h m s</c>.</summary>
    public static bool TryParseSeconds(ReadOnlySpan<char> text, out long seconds) => TryParseTime(text, isSeconds: true, out seconds);

    /// <summary>Milliseconds as a <see cref="TimeSpan"/>.</summary>
    public static bool TryParseDuration(ReadOnlySpan<char> text, out TimeSpan duration)
    {
        var ok = TryParseMilliseconds(text, out var ms);
        duration = ok ? TimeSpan.FromMilliseconds(ms) : default;
        return ok;
    }

    private enum TimeStep
    {
        Start,
        Year,
        Month,
        Week,
        Day,
        Hour,
        Minute,
        Second,
        Millisecond,
        Last,
    }

    private static bool TryParseTime(ReadOnlySpan<char> text, bool isSeconds, out long result)
    {
        result = 0;
        const long maxValue = long.MaxValue;
        const long cutoff = maxValue / 10;
        const long cutlim = maxValue % 10;
        var valid = false;
        long value = 0;
        long total = 0;
        var step = isSeconds ? TimeStep.Start : TimeStep.Month;
        var p = 0;

        while (p < text.Length)
        {
            var c = text[p];
            if (c is >= '0' and <= '9')
            {
                if (value >= cutoff && (value > cutoff || c - '0' > cutlim))
                {
                    return false;
                }

                value = (value * 10) + (c - '0');
                p++;
                valid = true;
                continue;
            }

            p++;
            long scale;
            long max;
            switch (c)
            {
                case 'y':
                    if (step > TimeStep.Start)
                    {
                        return false;
                    }

                    step = TimeStep.Year;
                    scale = 60L * 60 * 24 * 365;
                    break;
                case 'M':
                    if (step >= TimeStep.Month)
                    {
                        return false;
                    }

                    step = TimeStep.Month;
                    scale = 60L * 60 * 24 * 30;
                    break;
                case 'w':
                    if (step >= TimeStep.Week)
                    {
                        return false;
                    }

                    step = TimeStep.Week;
                    scale = 60L * 60 * 24 * 7;
                    break;
                case 'd':
                    if (step >= TimeStep.Day)
                    {
                        return false;
                    }

                    step = TimeStep.Day;
                    scale = 60L * 60 * 24;
                    break;
                case 'h':
                    if (step >= TimeStep.Hour)
                    {
                        return false;
                    }

                    step = TimeStep.Hour;
                    scale = 60L * 60;
                    break;
                case 'm':
                    if (p < text.Length && text[p] == 's')
                    {
                        if (isSeconds || step >= TimeStep.Millisecond)
                        {
                            return false;
                        }

                        p++;
                        step = TimeStep.Millisecond;
                        scale = 1;
                        break;
                    }

                    if (step >= TimeStep.Minute)
                    {
                        return false;
                    }

                    step = TimeStep.Minute;
                    scale = 60;
                    break;
                case 's':
                    if (step >= TimeStep.Second)
                    {
                        return false;
                    }

                    step = TimeStep.Second;
                    scale = 1;
                    break;
                case ' ':
                    if (step >= TimeStep.Second)
                    {
                        return false;
                    }

                    step = TimeStep.Last;
                    scale = 1;
                    break;
                default:
                    return false;
            }

            max = maxValue / scale;
            if (step != TimeStep.Millisecond && !isSeconds)
            {
                scale *= 1000;
                max /= 1000;
            }

            if (value > max)
            {
                return false;
            }

            value *= scale;
            if (total > maxValue - value)
            {
                return false;
            }

            total += value;
            value = 0;
        }

        if (!valid)
        {
            return false;
        }

        if (!isSeconds)
        {
            if (value > maxValue / 1000)
            {
                return false;
            }

            value *= 1000;
        }

        if (total > maxValue - value)
        {
            return false;
        }

        result = total + value;
        return true;
    }

    /// <summary>nginx's on/off flag, compared case-insensitively.</summary>
    public static bool TryParseFlag(string text, out bool value)
    {
        if (string.Equals(text, "on", StringComparison.OrdinalIgnoreCase))
        {
            value = true;
            return true;
        }

        value = false;
        return string.Equals(text, "off", StringComparison.OrdinalIgnoreCase);
    }
}
