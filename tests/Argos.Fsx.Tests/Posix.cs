using System.Runtime.InteropServices;
using System.Text;
using Argos.Platform;

namespace Argos.Fsx.Tests;

/// <summary>
/// The syscalls the operation generator applies to both trees, each answering its errno instead of
/// throwing: the two sides must fail alike, so a failure is a result to compare, not an exception.
/// Reading a tree for comparison uses Argos.Platform's LibC (lstat, readlink, xattrs).
/// </summary>
internal static unsafe partial class Posix
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2;
    public const int O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200, O_APPEND = 0x400;
    public const int O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;
    public const int O_DIRECT = 0x4000;
    public const uint RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;
    public const int XATTR_CREATE = 1, XATTR_REPLACE = 2;
    private const int AT_FDCWD = -100;

    private static Errno Last() => (Errno)Marshal.GetLastPInvokeError();

    private static Errno Check(int rc) => rc < 0 ? Last() : Errno.None;

    private static byte[] C(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    private static partial int open_raw(byte* path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close_raw(int fd);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint pread_raw(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint pwrite_raw(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint write_raw(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int ftruncate_raw(int fd, long length);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync_raw(int fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int fdatasync_raw(int fd);

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static partial int renameat2_raw(int oldDir, byte* oldPath, int newDir, byte* newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true)]
    private static partial int link_raw(byte* oldPath, byte* newPath);

    [LibraryImport("libc", EntryPoint = "symlink", SetLastError = true)]
    private static partial int symlink_raw(byte* target, byte* linkPath);

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true)]
    private static partial int unlink_raw(byte* path);

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true)]
    private static partial int mkdir_raw(byte* path, uint mode);

    [LibraryImport("libc", EntryPoint = "rmdir", SetLastError = true)]
    private static partial int rmdir_raw(byte* path);

    [LibraryImport("libc", EntryPoint = "chmod", SetLastError = true)]
    private static partial int chmod_raw(byte* path, uint mode);

    [LibraryImport("libc", EntryPoint = "setxattr", SetLastError = true)]
    private static partial int setxattr_raw(byte* path, byte* name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "removexattr", SetLastError = true)]
    private static partial int removexattr_raw(byte* path, byte* name);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill_raw(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint umask_raw(uint mask);

    public static Errno Open(string path, int flags, uint mode, out int fd)
    {
        fixed (byte* p = C(path))
        {
            fd = open_raw(p, flags | O_CLOEXEC, (int)mode);
        }
        return fd < 0 ? Last() : Errno.None;
    }

    public static void Close(int fd) => close_raw(fd);

    /// <summary>Reads until <paramref name="buffer"/> is full or end of file; answers the bytes read.</summary>
    public static Errno PRead(int fd, Span<byte> buffer, long offset, out int total)
    {
        total = 0;
        fixed (byte* b = buffer)
        {
            while (total < buffer.Length)
            {
                var n = pread_raw(fd, b + total, (nuint)(buffer.Length - total), offset + total);
                if (n < 0) return Last();
                if (n == 0) break;
                total += (int)n;
            }
        }
        return Errno.None;
    }

    public static Errno PWrite(int fd, ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* b = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = pwrite_raw(fd, b + done, (nuint)(data.Length - done), offset + done);
                if (n < 0) return Last();
                done += (int)n;
            }
        }
        return Errno.None;
    }

    public static Errno Write(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* b = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = write_raw(fd, b + done, (nuint)(data.Length - done));
                if (n < 0) return Last();
                done += (int)n;
            }
        }
        return Errno.None;
    }

    public static Errno FTruncate(int fd, long length) => Check(ftruncate_raw(fd, length));

    public static Errno FSync(int fd) => Check(fsync_raw(fd));

    public static Errno FDataSync(int fd) => Check(fdatasync_raw(fd));

    public static Errno Rename(string from, string to, uint flags = 0)
    {
        fixed (byte* f = C(from))
        fixed (byte* t = C(to))
        {
            return Check(renameat2_raw(AT_FDCWD, f, AT_FDCWD, t, flags));
        }
    }

    public static Errno Link(string existing, string newPath)
    {
        fixed (byte* e = C(existing))
        fixed (byte* n = C(newPath))
        {
            return Check(link_raw(e, n));
        }
    }

    public static Errno Symlink(string target, string linkPath)
    {
        fixed (byte* t = C(target))
        fixed (byte* l = C(linkPath))
        {
            return Check(symlink_raw(t, l));
        }
    }

    public static Errno Unlink(string path)
    {
        fixed (byte* p = C(path))
        {
            return Check(unlink_raw(p));
        }
    }

    public static Errno Mkdir(string path, uint mode)
    {
        fixed (byte* p = C(path))
        {
            return Check(mkdir_raw(p, mode));
        }
    }

    public static Errno Rmdir(string path)
    {
        fixed (byte* p = C(path))
        {
            return Check(rmdir_raw(p));
        }
    }

    public static Errno Chmod(string path, uint mode)
    {
        fixed (byte* p = C(path))
        {
            return Check(chmod_raw(p, mode));
        }
    }

    public static Errno SetXattr(string path, string name, ReadOnlySpan<byte> value, int flags)
    {
        fixed (byte* p = C(path))
        fixed (byte* n = C(name))
        fixed (byte* v = value)
        {
            return Check(setxattr_raw(p, n, v, (nuint)value.Length, flags));
        }
    }

    public static Errno RemoveXattr(string path, string name)
    {
        fixed (byte* p = C(path))
        fixed (byte* n = C(name))
        {
            return Check(removexattr_raw(p, n));
        }
    }

    /// <summary>Sends SIGKILL to a process this test started (the mount daemon).</summary>
    public static Errno KillHard(int pid) => Check(kill_raw(pid, 9));

    /// <summary>Sets the process umask (both trees see the same creation modes only if it is fixed).</summary>
    public static uint SetUmask(uint mask) => umask_raw(mask);
}
