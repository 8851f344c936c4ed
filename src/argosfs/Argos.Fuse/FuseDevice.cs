using System.Diagnostics;
using Argos.Platform;
using Argos.Platform.Interop;

namespace Argos.Fuse;

/// <summary>Opening and cloning /dev/fuse, with errors that say what to do.</summary>
public static class FuseDevice
{
    public const string DefaultPath = "/dev/fuse";

    /// <summary>Opens the FUSE device read-write with O_CLOEXEC.</summary>
    /// <exception cref="SystemCallException">With a hint: ENOENT → load the module; EACCES/EPERM → permissions.</exception>
    public static FileDescriptorHandle Open(string path = DefaultPath)
    {
        while (true)
        {
            int fd = LibC.FuseOpen(path, LibC.O_RDWR | LibC.O_CLOEXEC, 0);
            if (fd >= 0)
            {
                return new FileDescriptorHandle(fd, ownsHandle: true);
            }

            var errno = LibC.FuseLastErrno;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            throw new SystemCallException("open", path, errno, OpenHint(errno));
        }
    }

    internal static string? OpenHint(Errno errno) => errno switch
    {
        Errno.ENOENT => "is the fuse module loaded? try 'modprobe fuse'",
        Errno.ENODEV or Errno.ENXIO => "the kernel has no FUSE support; try 'modprobe fuse'",
        Errno.EACCES or Errno.EPERM => "needs read-write access to the FUSE device: run as root, or mount through fusermount3",
        _ => null,
    };

    /// <summary>
    /// Opens the device again and attaches it to <paramref name="session"/>'s connection (FUSE_DEV_IOC_CLONE), so
    /// a worker can read and answer requests on its own fd. Requests read from a clone must be answered on it.
    /// </summary>
    public static unsafe FileDescriptorHandle Clone(FileDescriptorHandle session, string path = DefaultPath)
    {
        var clone = Open(path);
        bool added = false;
        try
        {
            session.DangerousAddRef(ref added);
            uint sessionFd = (uint)session.Fd;
            if (LibC.IoctlFuseDevClone(clone.Fd, LibC.FUSE_DEV_IOC_CLONE, &sessionFd) != 0)
            {
                var errno = LibC.FuseLastErrno;
                throw new SystemCallException("ioctl(FUSE_DEV_IOC_CLONE)", path, errno,
                    "the kernel cannot clone FUSE fds (needs Linux 4.2+); workers will share one fd");
            }

            return clone;
        }
        catch
        {
            clone.Dispose();
            throw;
        }
        finally
        {
            if (added)
            {
                session.DangerousRelease();
            }
        }
    }
}

/// <summary>
/// Reads requests from and writes replies to one /dev/fuse fd. With a spin budget the fd is non-blocking:
/// an empty queue is polled again for up to that long (the next request of a process issuing them back to
/// back comes within microseconds) before the thread sleeps in poll(2), and only while
/// <see cref="SpinWhile"/> holds. A request caught while spinning costs no context switch; one that finds
/// the reader asleep costs a wake-up on each side.
/// </summary>
internal sealed unsafe class FuseDeviceTransport : IFuseTransport
{
    private readonly FileDescriptorHandle _fd;
    private readonly long _spinTicks;

    public FuseDeviceTransport(FileDescriptorHandle fd, TimeSpan spin = default)
    {
        _fd = fd;
        if (spin > TimeSpan.Zero)
        {
            int flags = LibC.FcntlInt(fd.Fd, LibC.F_GETFL, 0);
            if (flags >= 0 && LibC.FcntlInt(fd.Fd, LibC.F_SETFL, flags | LibC.O_NONBLOCK) == 0)
            {
                _spinTicks = Math.Max(1, (long)(spin.TotalSeconds * Stopwatch.Frequency));
            }
        }
    }

    public FileDescriptorHandle Handle => _fd;

    /// <summary>Spinning stops as soon as this is false (the session: while another worker serves a request, it needs the CPU).</summary>
    public Func<bool>? SpinWhile { get; init; }

    public int Receive(Span<byte> buffer)
    {
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            fixed (byte* p = buffer)
            {
                return _spinTicks > 0 ? ReceiveSpinning(p, buffer.Length) : ReadOnce(p, buffer.Length);
            }
        }
        catch (ObjectDisposedException)
        {
            return -(int)Errno.EBADF;
        }
        finally
        {
            if (added)
            {
                _fd.DangerousRelease();
            }
        }
    }

    private int ReadOnce(byte* p, int length)
    {
        nint n = LibC.FuseRead(_fd.Fd, p, (nuint)length);
        return n >= 0 ? (int)n : -(int)LibC.FuseLastErrno;
    }

    private int ReceiveSpinning(byte* p, int length)
    {
        int n = ReadOnce(p, length);
        if (n != -(int)Errno.EAGAIN)
        {
            return n;
        }

        long deadline = Stopwatch.GetTimestamp() + _spinTicks;
        var spinWhile = SpinWhile;
        while ((spinWhile is null || spinWhile()) && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.SpinWait(SpinIterationsBetweenReads);
            n = ReadOnce(p, length);
            if (n != -(int)Errno.EAGAIN)
            {
                return n;
            }
        }

        // Sleep until the queue has a request (or the connection ends: POLLERR, and the read says ENODEV).
        var pfd = new LibC.Pollfd { Fd = _fd.Fd, Events = LibC.POLLIN };
        while (true)
        {
            if (LibC.FusePoll(&pfd, 1, -1) < 0 && LibC.FuseLastErrno != Errno.EINTR)
            {
                return -(int)LibC.FuseLastErrno;
            }

            n = ReadOnce(p, length);
            if (n != -(int)Errno.EAGAIN)
            {
                return n;
            }
        }
    }

    /// <summary>Pause instructions between two reads of an empty queue: a read is a system call, a pause is not.</summary>
    private const int SpinIterationsBetweenReads = 10;

    public Errno Send(ReadOnlySpan<byte> reply)
    {
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            fixed (byte* p = reply)
            {
                while (true)
                {
                    // The device takes a reply in one write; a partial write does not happen.
                    nint n = LibC.FuseWrite(_fd.Fd, p, (nuint)reply.Length);
                    if (n >= 0)
                    {
                        return Errno.None;
                    }

                    var errno = LibC.FuseLastErrno;
                    if (errno != Errno.EINTR)
                    {
                        return errno;
                    }
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return Errno.EBADF;
        }
        finally
        {
            if (added)
            {
                _fd.DangerousRelease();
            }
        }
    }
}
