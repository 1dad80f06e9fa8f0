using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sluice.Transport;

/// <summary>
/// The Linux system calls Sluice's event loops make themselves: epoll, eventfd and non-blocking socket I/O on file
/// descriptors owned by <see cref="Socket"/> objects. Only what <see cref="Socket"/>'s own asynchronous machinery
/// cannot do is here: knowing from edge-triggered epoll that a socket is drained, so that no read is tried
/// just to learn it (EAGAIN), as nginx does.
/// </summary>
internal static unsafe partial class LinuxSockets
{
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;

    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollExclusive = 1u << 28;
    public const uint EpollEdgeTriggered = 1u << 31;

    private const int CloseOnExec = 0x80000;     // EPOLL_CLOEXEC, EFD_CLOEXEC, SOCK_CLOEXEC
    private const int NonBlocking = 0x800;       // EFD_NONBLOCK, SOCK_NONBLOCK
    private const int NoSignal = 0x4000;         // MSG_NOSIGNAL
    private const int Peek = 0x2;                // MSG_PEEK
    private const int DontWait = 0x40;           // MSG_DONTWAIT

    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int EINPROGRESS = 115;

    /// <summary>struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16).</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int s_epollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    public static uint EventsAt(byte* events, int index) => *(uint*)(events + (index * EpollEventSize));

    public static ulong DataAt(byte* events, int index) => *(ulong*)(events + (index * EpollEventSize) + s_epollDataOffset);

    public static int CreateEpoll() => Check(epoll_create1(CloseOnExec), "epoll_create1");

    public static int CreateEventFd() => Check(eventfd(0, CloseOnExec | NonBlocking), "eventfd");

    public static void Register(int epoll, int fd, uint events, ulong data)
    {
        var buffer = stackalloc byte[16];
        *(uint*)buffer = events;
        *(ulong*)(buffer + s_epollDataOffset) = data;
        Check(epoll_ctl(epoll, EpollCtlAdd, fd, buffer), "epoll_ctl");
    }

    public static void Unregister(int epoll, int fd) => epoll_ctl(epoll, EpollCtlDel, fd, null);

    /// <summary>epoll_wait; 0 on EINTR.</summary>
    public static int Wait(int epoll, byte* events, int capacity, int timeoutMs)
    {
        var count = epoll_wait(epoll, events, capacity, timeoutMs);
        return count >= 0 ? count : Marshal.GetLastPInvokeError() == EINTR ? 0 : Check(count, "epoll_wait");
    }

    public static void Signal(int eventFd)
    {
        ulong one = 1;
        _ = write(eventFd, &one, sizeof(ulong));
    }

    public static void DrainSignal(int eventFd)
    {
        ulong value;
        _ = read(eventFd, &value, sizeof(ulong));
    }

    /// <summary>recv(2): bytes read (0 at end of stream), or -errno.</summary>
    public static int Receive(SafeHandle socket, Span<byte> buffer)
    {
        fixed (byte* bytes = buffer)
        {
            while (true)
            {
                var read = recv(Fd(socket), bytes, buffer.Length, 0);
                if (read >= 0)
                {
                    return (int)read;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    return -errno;
                }
            }
        }
    }

    /// <summary>Whether the peer sent anything or closed (a byte to peek, end of stream, or an error).</summary>
    public static bool HasInputOrClosed(SafeHandle socket)
    {
        byte one;
        var read = recv(Fd(socket), &one, 1, Peek | DontWait);
        return read >= 0 || Marshal.GetLastPInvokeError() != EAGAIN;
    }

    /// <summary>send(2) of one span: bytes written, or -errno.</summary>
    public static int Send(SafeHandle socket, ReadOnlySpan<byte> data)
    {
        fixed (byte* bytes = data)
        {
            while (true)
            {
                var sent = send(Fd(socket), bytes, data.Length, NoSignal);
                if (sent >= 0)
                {
                    return (int)sent;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    return -errno;
                }
            }
        }
    }

    /// <summary>sendmsg(2) of up to <paramref name="count"/> pinned buffers: bytes written, or -errno.</summary>
    public static long SendGather(SafeHandle socket, IoVector* vectors, int count)
    {
        MessageHeader header = default;
        header.Vectors = vectors;
        header.VectorCount = count;
        while (true)
        {
            var sent = sendmsg(Fd(socket), &header, NoSignal);
            if (sent >= 0)
            {
                return sent;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>accept4(2), non-blocking and close-on-exec: the new descriptor, or -errno.</summary>
    public static int Accept(SafeHandle listener)
    {
        while (true)
        {
            var fd = accept4(Fd(listener), null, null, NonBlocking | CloseOnExec);
            if (fd >= 0)
            {
                return fd;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>connect(2) of a non-blocking socket: 0, or -errno (-EINPROGRESS while the handshake runs).</summary>
    public static int Connect(SafeHandle socket, ReadOnlySpan<byte> address)
    {
        fixed (byte* bytes = address)
        {
            return connect(Fd(socket), bytes, (uint)address.Length) == 0 ? 0 : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>The socket's pending error (SO_ERROR), 0 when none.</summary>
    public static int PendingError(SafeHandle socket)
    {
        int error = 0;
        uint length = sizeof(int);
        return getsockopt(Fd(socket), 1 /* SOL_SOCKET */, 4 /* SO_ERROR */, &error, &length) == 0 ? error : Marshal.GetLastPInvokeError();
    }

    /// <summary>The <see cref="SocketException"/> .NET would throw for an errno (NativeErrorCode gives the errno back).</summary>
    public static SocketException Error(int errno) => new((int)ToSocketError(errno));

    private static SocketError ToSocketError(int errno) => errno switch
    {
        EAGAIN => SocketError.WouldBlock,
        EINPROGRESS => SocketError.InProgress,
        EINTR => SocketError.Interrupted,
        9 => SocketError.OperationAborted,          // EBADF: closed under us
        13 => SocketError.AccessDenied,             // EACCES
        22 => SocketError.InvalidArgument,          // EINVAL
        32 => SocketError.Shutdown,                 // EPIPE
        98 => SocketError.AddressAlreadyInUse,      // EADDRINUSE
        99 => SocketError.AddressNotAvailable,      // EADDRNOTAVAIL
        100 => SocketError.NetworkDown,             // ENETDOWN
        101 => SocketError.NetworkUnreachable,      // ENETUNREACH
        103 => SocketError.ConnectionAborted,       // ECONNABORTED
        104 => SocketError.ConnectionReset,         // ECONNRESET
        105 => SocketError.NoBufferSpaceAvailable,  // ENOBUFS
        107 => SocketError.NotConnected,            // ENOTCONN
        110 => SocketError.TimedOut,                // ETIMEDOUT
        111 => SocketError.ConnectionRefused,       // ECONNREFUSED
        112 => SocketError.HostDown,                // EHOSTDOWN
        113 => SocketError.HostUnreachable,         // EHOSTUNREACH
        24 or 23 => SocketError.TooManyOpenSockets, // EMFILE, ENFILE
        _ => SocketError.SocketError,
    };

    private static int Fd(SafeHandle handle) => (int)handle.DangerousGetHandle();

    private static int Check(int result, string call) =>
        result >= 0 ? result : throw new IOException($"{call}() failed ({Marshal.GetLastPInvokeError()}: {Hosting.UnixProcess.StrError(Marshal.GetLastPInvokeError())})");

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public void* Base;
        public nint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nint VectorCount;
        public void* Control;
        public nint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxevents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, void* buf, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, void* buf, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, byte* buf, nint len, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte* buf, nint len, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendmsg(int fd, MessageHeader* msg, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int accept4(int fd, byte* addr, uint* addrlen, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int fd, byte* addr, uint addrlen);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getsockopt(int fd, int level, int name, void* value, uint* length);
}
