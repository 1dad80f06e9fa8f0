using System.Runtime.InteropServices;

namespace Sluice.Configuration;

/// <summary>User and group lookups through libc, as nginx's <c>user</c> directive does them.</summary>
internal static partial class UnixAccounts
{
    public static bool UserExists(string name) => OperatingSystem.IsWindows() || getpwnam(name) != IntPtr.Zero;

    public static bool GroupExists(string name) => OperatingSystem.IsWindows() || getgrnam(name) != IntPtr.Zero;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getpwnam(string name);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getgrnam(string name);
}
