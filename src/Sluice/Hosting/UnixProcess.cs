using System.Runtime.InteropServices;

namespace Sluice.Hosting;

/// <summary>The few libc calls the process skeleton needs: sending a signal, taking back ignored ones, describing errno like strerror.</summary>
public static partial class UnixProcess
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGUSR1 = 10;
    public const int SIGTERM = 15;

    public static int SignalNumber(ControlSignal signal) => signal switch
    {
        ControlSignal.Stop => SIGTERM,
        ControlSignal.Quit => SIGQUIT,
        ControlSignal.Reopen => SIGUSR1,
        ControlSignal.Reload => SIGHUP,
        _ => 0,
    };

    /// <summary>kill(2); returns 0 or the errno.</summary>
    public static int Kill(int pid, int signal)
    {
        if (kill(pid, signal) == 0)
        {
            return 0;
        }

        return Marshal.GetLastPInvokeError();
    }

    /// <summary>The signals nginx's master handles: reload, fast stop (INT, TERM), graceful stop, reopen.</summary>
    private static readonly int[] ControlSignals = [SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGTERM];

    /// <summary>
    /// Makes the control signals the process inherited as ignored handleable again, as nginx handles them whatever
    /// its parent left them at. A non-interactive shell starts a background job (<c>sluice … &amp;</c>) with SIGINT
    /// and SIGQUIT ignored, <c>nohup</c> ignores SIGHUP; the .NET runtime leaves a signal that is ignored at the time
    /// it would install its handler ignored (the PAL's SEHInitializeSignals and System.Native's InstallSignalHandler
    /// skip SIG_IGN, so that child processes keep ignoring it), and <c>sluice -s quit</c> would do nothing. Must run
    /// before anything initializes the runtime's signal handling — the first Console, Process or
    /// PosixSignalRegistration use — which is why the executable calls it first. An ignored signal has no handler
    /// to lose, so setting it to SIG_DFL is safe; the handlers come with the PosixSignalRegistrations.
    /// </summary>
    public static void StopIgnoringControlSignals()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var ignored = SignalMask("SigIgn:");
        foreach (var number in ControlSignals)
        {
            if ((ignored & (1UL << (number - 1))) != 0)
            {
                signal(number, IntPtr.Zero);
            }
        }
    }

    /// <summary>A signal mask line of /proc/self/status ("SigIgn:", "SigCgt:"): bit n-1 is signal n.</summary>
    public static ulong SignalMask(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return ulong.Parse(line.AsSpan(field.Length).Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>strerror(3) text for an errno, as nginx prints it after the number.</summary>
    public static string StrError(int errno) => Marshal.PtrToStringUTF8(strerror(errno)) ?? $"errno {errno}";

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    private static partial IntPtr strerror(int errnum);

    /// <summary>signal(2); only ever used to set SIG_DFL (null) on a signal that is ignored.</summary>
    [LibraryImport("libc")]
    private static partial IntPtr signal(int signum, IntPtr handler);
}
