using System.Runtime.InteropServices;

namespace Sluice.Hosting;

/// <summary>The few libc calls the process skeleton needs: sending a signal and describing errno like strerror.</summary>
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

    /// <summary>strerror(3) text for an errno, as nginx prints it after the number.</summary>
    public static string StrError(int errno) => Marshal.PtrToStringUTF8(strerror(errno)) ?? $"errno {errno}";

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    private static partial IntPtr strerror(int errnum);
}
