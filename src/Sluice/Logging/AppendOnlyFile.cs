using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sluice.Logging;

/// <summary>
/// Opens a log file the way nginx does, <c>open(path, O_WRONLY|O_APPEND|O_CREAT, 0644)</c>, so that every write lands
/// at the file's end as it is at that moment. .NET's <see cref="FileMode.Append"/> only seeks to the end once and then
/// writes at its own offset: after logrotate's <c>copytruncate</c> (or <c>: &gt; access.log</c>) the next line would
/// go where the old end was, leaving the truncated file a run of NUL bytes before it.
/// </summary>
internal static partial class AppendOnlyFile
{
    private const int WriteOnly = 0x1;        // O_WRONLY
    private const int Create = 0x40;          // O_CREAT
    private const int Append = 0x400;         // O_APPEND
    private const int CloseOnExec = 0x80000;  // O_CLOEXEC
    private const int Mode0644 = 0x1A4;

    /// <summary>The file opened for appending; throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>.</summary>
    public static FileStream Open(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }

        var fd = open(path, WriteOnly | Create | Append | CloseOnExec, Mode0644);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            var message = $"open() \"{path}\" failed ({errno}: {Hosting.UnixProcess.StrError(errno)})";
            throw errno is 1 or 13 ? new UnauthorizedAccessException(message) : new IOException(message, errno);
        }

        // FileStream writes with pwrite(2) at an offset of its own; on a file opened with O_APPEND Linux appends
        // whatever the offset (pwrite(2), BUGS), which is the point here.
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);
}
