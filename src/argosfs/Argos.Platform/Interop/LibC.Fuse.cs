using System.Runtime.InteropServices;

namespace Argos.Platform.Interop;

// /dev/fuse: open, clone (FUSE_DEV_IOC_CLONE), read one request, write one reply, and the non-blocking
// mode plus poll(2) that let a worker spin briefly on the queue before it sleeps.
// The names carry a Fuse prefix so they never clash with the general file calls in LibC.Files.cs;
// the entry points are the plain libc ones.
public static unsafe partial class LibC
{
    // O_RDWR, O_CLOEXEC, O_CREAT live in LibC.Files.cs.
    public const int O_APPEND = 0x400;
    public const int O_NOCTTY = 0x100;

    /// <summary>_IOR(229, 0, uint32_t): attach a freshly opened /dev/fuse fd to the session of another.</summary>
    public const uint FUSE_DEV_IOC_CLONE = 0x8004E500;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int FuseOpen(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int FuseClose(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint FuseRead(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint FuseWrite(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
    public static partial nint FuseWritev(int fd, Iovec* iov, int iovcnt);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int IoctlFuseDevClone(int fd, uint request, uint* sessionFd);

    /// <summary>O_NONBLOCK (asm-generic and x86: 04000): a read of an empty request queue fails with EAGAIN. Set with <see cref="FcntlInt"/>.</summary>
    public const int O_NONBLOCK = 0x800;
    public const short POLLIN = 0x1;

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int FusePoll(Pollfd* fds, nuint count, int timeoutMs);

    [StructLayout(LayoutKind.Sequential)]
    public struct Pollfd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>The errno of the last libc call made through a SetLastError import on this thread.</summary>
    public static Errno FuseLastErrno => (Errno)Marshal.GetLastPInvokeError();

    [StructLayout(LayoutKind.Sequential)]
    public struct Iovec
    {
        public void* Base;
        public nuint Length;
    }
}
