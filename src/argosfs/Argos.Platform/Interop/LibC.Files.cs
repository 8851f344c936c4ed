using System.Runtime.InteropServices;

namespace Argos.Platform.Interop;

/// <summary>
/// File and block-device I/O syscalls (libc). Flag values are the Linux generic ABI shared by x86_64
/// and aarch64 (asm-generic/fcntl.h); O_DIRECT is deliberately absent because its value differs per arch.
/// Every fd is opened with O_CLOEXEC and owned by a <see cref="FileDescriptorHandle"/>.
/// </summary>
public static partial class LibC
{
    private const string Lib = "libc";

    public const int O_RDONLY = 0x0;
    public const int O_WRONLY = 0x1;
    public const int O_RDWR = 0x2;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_CLOEXEC = 0x80000;

    public const int LOCK_SH = 1;
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;
    public const int LOCK_UN = 8;

    /// <summary>_IOR(0x12, 114, size_t): device size in bytes.</summary>
    public const ulong BLKGETSIZE64 = 0x80081272;
    /// <summary>_IO(0x12, 104): logical sector size.</summary>
    public const ulong BLKSSZGET = 0x1268;
    /// <summary>_IO(0x12, 119): discard a (u64 offset, u64 length) range.</summary>
    public const ulong BLKDISCARD = 0x1277;

    public const int FALLOC_FL_KEEP_SIZE = 0x01;
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;

    public const int AT_EMPTY_PATH = 0x1000;
    public const uint STATX_BASIC_STATS = 0x7ff;

    public const uint S_IFMT = 0xF000;
    public const uint S_IFREG = 0x8000;
    public const uint S_IFBLK = 0x6000;

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open_raw(string path, int flags, int mode);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Lib, EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint pread_raw(FileDescriptorHandle fd, byte* buf, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "pwrite", SetLastError = true)]
    private static unsafe partial nint pwrite_raw(FileDescriptorHandle fd, byte* buf, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync_raw(FileDescriptorHandle fd);

    [LibraryImport(Lib, EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int fdatasync_raw(FileDescriptorHandle fd);

    [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
    private static partial int flock_raw(FileDescriptorHandle fd, int operation);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int ioctl_ptr(FileDescriptorHandle fd, ulong request, void* arg);

    [LibraryImport(Lib, EntryPoint = "fallocate", SetLastError = true)]
    private static partial int fallocate_raw(FileDescriptorHandle fd, int mode, long offset, long length);

    [LibraryImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int ftruncate_raw(FileDescriptorHandle fd, long length);

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx_raw(FileDescriptorHandle dirfd, string path, int flags, uint mask, byte* buf);

    private static Errno LastErrno() => (Errno)Marshal.GetLastPInvokeError();

    /// <summary>open(2) with O_CLOEXEC always added; EINTR is retried.</summary>
    public static FileDescriptorHandle Open(string path, int flags, int mode = 0x1a4 /* 0644 */)
    {
        while (true)
        {
            int fd = open_raw(path, flags | O_CLOEXEC, mode);
            if (fd >= 0)
            {
                return new FileDescriptorHandle(fd, ownsHandle: true);
            }
            Errno e = LastErrno();
            if (e == Errno.EINTR)
            {
                continue;
            }
            throw new SystemCallException("open", path, e, OpenHint(e, flags));
        }
    }

    private static string? OpenHint(Errno e, int flags) => e switch
    {
        Errno.ENOENT => "check the path",
        Errno.EACCES or Errno.EPERM => "permission denied; run as root or fix the file mode",
        Errno.EBUSY when (flags & O_EXCL) != 0 => "the device is in use (mounted, or opened exclusively by another process); unmount it first",
        Errno.EROFS => "the file system or device is read-only",
        _ => null,
    };

    /// <summary>Reads exactly buffer.Length bytes at offset; short reads past EOF are zero-filled.</summary>
    public static unsafe void PReadExact(FileDescriptorHandle fd, Span<byte> buffer, long offset, string resource)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint n = pread_raw(fd, p + done, (nuint)(buffer.Length - done), offset + done);
                if (n < 0)
                {
                    Errno e = LastErrno();
                    if (e == Errno.EINTR)
                    {
                        continue;
                    }
                    throw new SystemCallException("pread", $"{resource} @{offset + done}", e);
                }
                if (n == 0)
                {
                    buffer[done..].Clear();
                    return;
                }
                done += (int)n;
            }
        }
    }

    public static unsafe void PWriteExact(FileDescriptorHandle fd, ReadOnlySpan<byte> buffer, long offset, string resource)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint n = pwrite_raw(fd, p + done, (nuint)(buffer.Length - done), offset + done);
                if (n < 0)
                {
                    Errno e = LastErrno();
                    if (e == Errno.EINTR)
                    {
                        continue;
                    }
                    throw new SystemCallException("pwrite", $"{resource} @{offset + done}", e,
                        e == Errno.ENOSPC ? "the file system holding the image is full" : null);
                }
                if (n == 0)
                {
                    throw new SystemCallException("pwrite", $"{resource} @{offset + done}", Errno.EIO, "short write");
                }
                done += (int)n;
            }
        }
    }

    public static void FSync(FileDescriptorHandle fd, string resource)
    {
        while (fsync_raw(fd) != 0)
        {
            Errno e = LastErrno();
            if (e != Errno.EINTR)
            {
                throw new SystemCallException("fsync", resource, e);
            }
        }
    }

    public static void FDataSync(FileDescriptorHandle fd, string resource)
    {
        while (fdatasync_raw(fd) != 0)
        {
            Errno e = LastErrno();
            if (e != Errno.EINTR)
            {
                throw new SystemCallException("fdatasync", resource, e);
            }
        }
    }

    /// <summary>flock(2); returns the errno (None on success) so callers can word EWOULDBLOCK themselves.</summary>
    public static Errno TryFLock(FileDescriptorHandle fd, int operation)
    {
        while (flock_raw(fd, operation) != 0)
        {
            Errno e = LastErrno();
            if (e != Errno.EINTR)
            {
                return e;
            }
        }
        return Errno.None;
    }

    public static unsafe ulong BlockDeviceSize(FileDescriptorHandle fd, string resource)
    {
        ulong size = 0;
        if (ioctl_ptr(fd, BLKGETSIZE64, &size) != 0)
        {
            throw new SystemCallException("ioctl(BLKGETSIZE64)", resource, LastErrno());
        }
        return size;
    }

    public static unsafe int BlockDeviceSectorSize(FileDescriptorHandle fd, string resource)
    {
        int size = 0;
        if (ioctl_ptr(fd, BLKSSZGET, &size) != 0)
        {
            throw new SystemCallException("ioctl(BLKSSZGET)", resource, LastErrno());
        }
        return size;
    }

    public static unsafe void BlockDiscard(FileDescriptorHandle fd, ulong offset, ulong length, string resource)
    {
        ulong* range = stackalloc ulong[2];
        range[0] = offset;
        range[1] = length;
        if (ioctl_ptr(fd, BLKDISCARD, range) != 0)
        {
            throw new SystemCallException("ioctl(BLKDISCARD)", resource, LastErrno());
        }
    }

    public static void FAllocate(FileDescriptorHandle fd, int mode, long offset, long length, string resource)
    {
        while (fallocate_raw(fd, mode, offset, length) != 0)
        {
            Errno e = LastErrno();
            if (e != Errno.EINTR)
            {
                throw new SystemCallException("fallocate", resource, e);
            }
        }
    }

    public static void FTruncate(FileDescriptorHandle fd, long length, string resource)
    {
        while (ftruncate_raw(fd, length) != 0)
        {
            Errno e = LastErrno();
            if (e != Errno.EINTR)
            {
                throw new SystemCallException("ftruncate", resource, e,
                    e == Errno.EFBIG || e == Errno.ENOSPC ? "the file system holding the image cannot hold that size" : null);
            }
        }
    }

    /// <summary>statx(fd, "", AT_EMPTY_PATH): the arch-independent stat (struct statx has one layout everywhere).</summary>
    public static unsafe FileStatus FStat(FileDescriptorHandle fd, string resource)
    {
        byte* buf = stackalloc byte[256];
        new Span<byte>(buf, 256).Clear();
        if (statx_raw(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, buf) != 0)
        {
            throw new SystemCallException("statx", resource, LastErrno());
        }
        var s = new ReadOnlySpan<byte>(buf, 256);
        // struct statx: stx_mode u16 @28, stx_ino u64 @32, stx_size u64 @40, stx_blocks u64 @48,
        // stx_rdev_major u32 @128, stx_rdev_minor u32 @132, stx_dev_major u32 @136, stx_dev_minor u32 @140.
        return new FileStatus(
            Mode: System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(s[28..]),
            Inode: System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(s[32..]),
            SizeBytes: System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(s[40..]),
            Blocks512: System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(s[48..]),
            RdevMajor: System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(s[128..]),
            RdevMinor: System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(s[132..]),
            DevMajor: System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(s[136..]),
            DevMinor: System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(s[140..]));
    }
}

/// <summary>The fields of struct statx that storage needs.</summary>
public readonly record struct FileStatus(
    uint Mode, ulong Inode, long SizeBytes, ulong Blocks512, uint RdevMajor, uint RdevMinor, uint DevMajor, uint DevMinor)
{
    public bool IsBlockDevice => (Mode & LibC.S_IFMT) == LibC.S_IFBLK;
    public bool IsRegularFile => (Mode & LibC.S_IFMT) == LibC.S_IFREG;
}
