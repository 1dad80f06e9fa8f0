namespace Sluice.Hosting;

/// <summary>The signals <c>-s</c> can send, with nginx's names.</summary>
public enum ControlSignal
{
    None,
    Stop,
    Quit,
    Reopen,
    Reload,
}

/// <summary>nginx's command line: <c>[-?hvVtTq] [-s signal] [-p prefix] [-e filename] [-c filename] [-g directives]</c>.</summary>
public sealed record CommandLineOptions
{
    public bool ShowHelp { get; init; }

    public bool ShowVersion { get; init; }

    public bool ShowConfigure { get; init; }

    public bool TestConfig { get; init; }

    public bool DumpConfig { get; init; }

    public bool Quiet { get; init; }

    public ControlSignal Signal { get; init; }

    public string? Prefix { get; init; }

    /// <summary>The <c>-e</c> error log; the empty string means stderr.</summary>
    public string? ErrorLog { get; init; }

    public string? ConfFile { get; init; }

    public string? Directives { get; init; }

    /// <summary>
    /// Parses like nginx's <c>ngx_get_options</c>: flags may be combined (<c>-tq</c>), a value may follow its
    /// letter directly or as the next word. On failure returns null and nginx's message in <paramref name="error"/>.
    /// </summary>
    public static CommandLineOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var o = new CommandLineOptions();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg.Length == 0 || arg[0] != '-')
            {
                error = $"invalid option: \"{arg}\"";
                return null;
            }

            for (var p = 1; p < arg.Length; p++)
            {
                var c = arg[p];
                var rest = arg[(p + 1)..];
                switch (c)
                {
                    case '?' or 'h':
                        o = o with { ShowVersion = true, ShowHelp = true };
                        continue;
                    case 'v':
                        o = o with { ShowVersion = true };
                        continue;
                    case 'V':
                        o = o with { ShowVersion = true, ShowConfigure = true };
                        continue;
                    case 't':
                        o = o with { TestConfig = true };
                        continue;
                    case 'T':
                        o = o with { TestConfig = true, DumpConfig = true };
                        continue;
                    case 'q':
                        o = o with { Quiet = true };
                        continue;
                }

                if (c is not ('p' or 'e' or 'c' or 'g' or 's'))
                {
                    error = $"invalid option: \"{c}\"";
                    return null;
                }

                string? value = rest.Length > 0 ? rest : i + 1 < args.Count ? args[++i] : null;
                if (value is null)
                {
                    error = c switch
                    {
                        'p' => "option \"-p\" requires directory name",
                        'e' => "option \"-e\" requires file name",
                        'c' => "option \"-c\" requires file name",
                        'g' => "option \"-g\" requires parameter",
                        _ => "option \"-s\" requires parameter",
                    };
                    return null;
                }

                switch (c)
                {
                    case 'p':
                        o = o with { Prefix = value };
                        break;
                    case 'e':
                        o = o with { ErrorLog = value == "stderr" ? "" : value };
                        break;
                    case 'c':
                        o = o with { ConfFile = value };
                        break;
                    case 'g':
                        o = o with { Directives = value };
                        break;
                    default:
                        var signal = value switch
                        {
                            "stop" => ControlSignal.Stop,
                            "quit" => ControlSignal.Quit,
                            "reopen" => ControlSignal.Reopen,
                            "reload" => ControlSignal.Reload,
                            _ => ControlSignal.None,
                        };
                        if (signal == ControlSignal.None)
                        {
                            error = $"invalid option: \"-s {value}\"";
                            return null;
                        }

                        o = o with { Signal = signal };
                        break;
                }

                break;
            }
        }

        return o;
    }
}
