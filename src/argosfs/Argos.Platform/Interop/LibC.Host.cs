// Host filesystem calls for copying whole trees in and out of a pool (import-tree, export-tree,
// put, get): everything .NET's System.IO cannot do faithfully. Paths are raw bytes (Linux names
// need not be UTF-8) and never follow a final symlink.
//
// struct statx (include/uapi/linux/stat.h, one layout on every architecture, 256 bytes):
//
//   off size field                    off size field
//     0    4 stx_mask                  64   16 stx_atime  { s64 tv_sec; u32 tv_nsec; s32 pad }
//     4    4 stx_blksize               80   16 stx_btime
//     8    8 stx_attributes            96   16 stx_ctime
//    16    4 stx_nlink                112   16 stx_mtime
//    20    4 stx_uid                  128    4 stx_rdev_major
//    24    4 stx_gid                  132    4 stx_rdev_minor
//    28    2 stx_mode                 136    4 stx_dev_major
//    32    8 stx_ino                  140    4 stx_dev_minor
//    40    8 stx_size                 144  112 (mount id, dio alignment, spare)
//    48    8 stx_blocks (512-byte units)
//    56    8 stx_attributes_mask
//
// struct linux_dirent64 as readdir64(3) returns it: d_ino u64 @0, d_off s64 @8, d_reclen u16 @16,
// d_type u8 @18, d_name (NUL-terminated) @19.
//
// dev_t as glibc's makedev() builds it (64-bit): major bits 0..11 at 8..19 and 12..31 at 44..63,
// minor bits 0..7 at 0..7 and 8..31 at 20..43.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Argos.Platform.Interop;

public static unsafe partial class LibC
{
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const uint STATX_BTIME = 0x800;
    public const int SEEK_SET = 0;
    public const int SEEK_DATA = 3;
    public const int SEEK_HOLE = 4;
    /// <summary>Same value on every Linux architecture (01000000).</summary>
    public const int O_NOATIME = 0x40000;
    public const int O_TRUNC = 0x200;
    public const int XATTR_CREATE = 1;
    public const int XATTR_REPLACE = 2;
    public const uint S_IFDIR = 0x4000;
    public const uint S_IFLNK = 0xA000;
    public const uint S_IFCHR = 0x2000;
    public const uint S_IFIFO = 0x1000;
    public const uint S_IFSOCK = 0xC000;

    /// <summary>O_NOFOLLOW: 0400000 on x86 and the generic ABI, 0100000 on arm and arm64.</summary>
    public static int O_NOFOLLOW => IsArm ? 0x8000 : 0x20000;
    /// <summary>O_DIRECTORY: 0200000 on x86 and the generic ABI, 040000 on arm and arm64.</summary>
    public static int O_DIRECTORY => IsArm ? 0x4000 : 0x10000;

    private static bool IsArm => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;

    private const int StatxSize = 256;
    private const int StxNlink = 16;
    private const int StxUid = StxNlink + 4;
    private const int StxGid = StxUid + 4;
    private const int StxMode = StxGid + 4;
    private const int StxIno = StxMode + 4;
    private const int StxSize = StxIno + 8;
    private const int StxBlocks = StxSize + 8;
    private const int StxAtime = StxBlocks + 16;
    private const int StxBtime = StxAtime + 16;
    private const int StxCtime = StxBtime + 16;
    private const int StxMtime = StxCtime + 16;
    private const int StxRdevMajor = StxMtime + 16;
    private const int StxRdevMinor = StxRdevMajor + 4;
    private const int StxDevMajor = StxRdevMinor + 4;
    private const int StxDevMinor = StxDevMajor + 4;

    private const int DirentReclen = 16;
    private const int DirentName = 19;

    /// <summary>Longest path accepted (PATH_MAX including the NUL).</summary>
    public const int PathMax = 4096;

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true)]
    private static partial int statx_path(int dirfd, byte* path, int flags, uint mask, byte* buf);

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true)]
    private static partial int open_path(byte* path, int flags, int mode);

    [LibraryImport(Lib, EntryPoint = "opendir", SetLastError = true)]
    private static partial nint opendir_raw(byte* path);

    [LibraryImport(Lib, EntryPoint = "readdir64", SetLastError = true)]
    private static partial byte* readdir64_raw(nint dir);

    [LibraryImport(Lib, EntryPoint = "closedir", SetLastError = true)]
    private static partial int closedir_raw(nint dir);

    [LibraryImport(Lib, EntryPoint = "readlink", SetLastError = true)]
    private static partial nint readlink_raw(byte* path, byte* buf, nuint size);

    [LibraryImport(Lib, EntryPoint = "llistxattr", SetLastError = true)]
    private static partial nint llistxattr_raw(byte* path, byte* list, nuint size);

    [LibraryImport(Lib, EntryPoint = "lgetxattr", SetLastError = true)]
    private static partial nint lgetxattr_raw(byte* path, byte* name, byte* value, nuint size);

    [LibraryImport(Lib, EntryPoint = "lsetxattr", SetLastError = true)]
    private static partial int lsetxattr_raw(byte* path, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(Lib, EntryPoint = "lremovexattr", SetLastError = true)]
    private static partial int lremovexattr_raw(byte* path, byte* name);

    [LibraryImport(Lib, EntryPoint = "mknod", SetLastError = true)]
    private static partial int mknod_raw(byte* path, uint mode, ulong dev);

    [LibraryImport(Lib, EntryPoint = "mkdir", SetLastError = true)]
    private static partial int mkdir_raw(byte* path, uint mode);

    [LibraryImport(Lib, EntryPoint = "symlink", SetLastError = true)]
    private static partial int symlink_raw(byte* target, byte* linkPath);

    [LibraryImport(Lib, EntryPoint = "link", SetLastError = true)]
    private static partial int link_raw(byte* oldPath, byte* newPath);

    [LibraryImport(Lib, EntryPoint = "lchown", SetLastError = true)]
    private static partial int lchown_raw(byte* path, uint uid, uint gid);

    [LibraryImport(Lib, EntryPoint = "chmod", SetLastError = true)]
    private static partial int chmod_raw(byte* path, uint mode);

    [LibraryImport(Lib, EntryPoint = "utimensat", SetLastError = true)]
    private static partial int utimensat_raw(int dirfd, byte* path, long* times, int flags);

    [LibraryImport(Lib, EntryPoint = "lseek", SetLastError = true)]
    private static partial long lseek_raw(FileDescriptorHandle fd, long offset, int whence);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    private static partial nint read_raw(FileDescriptorHandle fd, byte* buf, nuint count);

    /// <summary>A host path as a NUL-terminated byte string (the terminator is added here).</summary>
    private static byte[] CPath(ReadOnlySpan<byte> path)
    {
        if (path.Length >= PathMax)
        {
            throw new SystemCallException("path", Display(path), Errno.ENAMETOOLONG, $"paths are limited to {PathMax - 1} bytes");
        }
        if (path.IndexOf((byte)0) >= 0)
        {
            throw new SystemCallException("path", Display(path), Errno.EINVAL, "a path cannot contain NUL");
        }
        byte[] bytes = new byte[path.Length + 1];
        path.CopyTo(bytes);
        return bytes;
    }

    /// <summary>A path or name for messages: UTF-8 where valid, invalid bytes replaced.</summary>
    public static string Display(ReadOnlySpan<byte> path) => Encoding.UTF8.GetString(path);

    /// <summary>statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW): lstat with nanosecond times, birth time and rdev.</summary>
    public static HostStat LStat(ReadOnlySpan<byte> path)
    {
        if (!TryLStat(path, out HostStat st, out Errno e))
        {
            throw new SystemCallException("lstat", Display(path), e, e == Errno.ENOENT ? "it does not exist (or vanished while being read)" : null);
        }
        return st;
    }

    public static bool TryLStat(ReadOnlySpan<byte> path, out HostStat status, out Errno errno)
    {
        byte[] c = CPath(path);
        byte* buf = stackalloc byte[StatxSize];
        new Span<byte>(buf, StatxSize).Clear();
        fixed (byte* p = c)
        {
            if (statx_path(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, buf) != 0)
            {
                errno = LastErrno();
                status = default;
                return false;
            }
        }
        status = ParseStatx(new ReadOnlySpan<byte>(buf, StatxSize));
        errno = Errno.None;
        return true;
    }

    /// <summary>Decodes a struct statx (layout at the top of this file).</summary>
    public static HostStat ParseStatx(ReadOnlySpan<byte> s)
    {
        if (s.Length < StatxSize)
        {
            throw new ArgumentException($"struct statx is {StatxSize} bytes, got {s.Length}", nameof(s));
        }
        uint mask = BinaryPrimitives.ReadUInt32LittleEndian(s);
        return new HostStat(
            Mode: BinaryPrimitives.ReadUInt16LittleEndian(s[StxMode..]),
            Nlink: BinaryPrimitives.ReadUInt32LittleEndian(s[StxNlink..]),
            Uid: BinaryPrimitives.ReadUInt32LittleEndian(s[StxUid..]),
            Gid: BinaryPrimitives.ReadUInt32LittleEndian(s[StxGid..]),
            Inode: BinaryPrimitives.ReadUInt64LittleEndian(s[StxIno..]),
            SizeBytes: BinaryPrimitives.ReadUInt64LittleEndian(s[StxSize..]),
            Blocks512: BinaryPrimitives.ReadUInt64LittleEndian(s[StxBlocks..]),
            Atime: ReadTime(s[StxAtime..]),
            Mtime: ReadTime(s[StxMtime..]),
            Ctime: ReadTime(s[StxCtime..]),
            Btime: (mask & STATX_BTIME) != 0 ? ReadTime(s[StxBtime..]) : null,
            RdevMajor: BinaryPrimitives.ReadUInt32LittleEndian(s[StxRdevMajor..]),
            RdevMinor: BinaryPrimitives.ReadUInt32LittleEndian(s[StxRdevMinor..]),
            DevMajor: BinaryPrimitives.ReadUInt32LittleEndian(s[StxDevMajor..]),
            DevMinor: BinaryPrimitives.ReadUInt32LittleEndian(s[StxDevMinor..]));

        static HostTime ReadTime(ReadOnlySpan<byte> t) =>
            new(BinaryPrimitives.ReadInt64LittleEndian(t), BinaryPrimitives.ReadUInt32LittleEndian(t[8..]));
    }

    /// <summary>The names in a directory ("." and ".." left out), in the order readdir returns them.</summary>
    public static List<byte[]> ReadDirectoryNames(ReadOnlySpan<byte> path)
    {
        byte[] c = CPath(path);
        nint dir;
        fixed (byte* p = c)
        {
            dir = opendir_raw(p);
        }
        if (dir == 0)
        {
            Errno e = LastErrno();
            throw new SystemCallException("opendir", Display(path), e, e is Errno.EACCES or Errno.EPERM ? "make it readable or run as root" : null);
        }
        var names = new List<byte[]>();
        try
        {
            while (true)
            {
                byte* entry = readdir64_raw(dir);
                if (entry == null)
                {
                    Errno e = LastErrno();
                    if (e != Errno.None)
                    {
                        throw new SystemCallException("readdir", Display(path), e);
                    }
                    return names;
                }
                int reclen = BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(entry + DirentReclen, 2));
                var name = new ReadOnlySpan<byte>(entry + DirentName, Math.Max(0, reclen - DirentName));
                int nul = name.IndexOf((byte)0);
                if (nul >= 0)
                {
                    name = name[..nul];
                }
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                {
                    continue;
                }
                names.Add(name.ToArray());
            }
        }
        finally
        {
            closedir_raw(dir);
        }
    }

    /// <summary>open(2) of a byte path with O_CLOEXEC; EINTR is retried.</summary>
    public static FileDescriptorHandle OpenPath(ReadOnlySpan<byte> path, int flags, int mode = 0x180 /* 0600 */)
    {
        byte[] c = CPath(path);
        fixed (byte* p = c)
        {
            while (true)
            {
                int fd = open_path(p, flags | O_CLOEXEC, mode);
                if (fd >= 0)
                {
                    return new FileDescriptorHandle(fd, ownsHandle: true);
                }
                Errno e = LastErrno();
                if (e == Errno.EINTR)
                {
                    continue;
                }
                if (e == Errno.EPERM && (flags & O_NOATIME) != 0)
                {
                    // O_NOATIME needs the file's owner or CAP_FOWNER: retry without it.
                    flags &= ~O_NOATIME;
                    continue;
                }
                throw new SystemCallException("open", Display(path), e, OpenHint(e, flags));
            }
        }
    }

    /// <summary>lseek(SEEK_DATA/SEEK_HOLE): the next data or hole offset, or -1 when there is none (ENXIO).</summary>
    public static long SeekDataOrHole(FileDescriptorHandle fd, long offset, int whence, string resource)
    {
        long r = lseek_raw(fd, offset, whence);
        if (r >= 0)
        {
            return r;
        }
        Errno e = LastErrno();
        if (e == Errno.ENXIO)
        {
            return -1;
        }
        throw new SystemCallException(whence == SEEK_DATA ? "lseek(SEEK_DATA)" : "lseek(SEEK_HOLE)", resource, e);
    }

    /// <summary>pread(2) once (EINTR retried): bytes read, 0 at end of file.</summary>
    public static int PRead(FileDescriptorHandle fd, Span<byte> buffer, long offset, string resource)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = pread_raw(fd, p, (nuint)buffer.Length, offset);
                if (n >= 0)
                {
                    return (int)n;
                }
                Errno e = LastErrno();
                if (e != Errno.EINTR)
                {
                    throw new SystemCallException("pread", $"{resource} @{offset}", e, e == Errno.EIO ? "the source medium has a read error" : null);
                }
            }
        }
    }

    /// <summary>read(2) once (EINTR retried): bytes read, 0 at end of input (pipes and terminals too).</summary>
    public static int Read(FileDescriptorHandle fd, Span<byte> buffer, string resource)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = read_raw(fd, p, (nuint)buffer.Length);
                if (n >= 0)
                {
                    return (int)n;
                }
                Errno e = LastErrno();
                if (e != Errno.EINTR)
                {
                    throw new SystemCallException("read", resource, e);
                }
            }
        }
    }

    public static byte[] ReadLink(ReadOnlySpan<byte> path)
    {
        byte[] c = CPath(path);
        byte[] buffer = new byte[PathMax];
        fixed (byte* p = c)
        fixed (byte* b = buffer)
        {
            nint n = readlink_raw(p, b, (nuint)buffer.Length);
            if (n < 0)
            {
                throw new SystemCallException("readlink", Display(path), LastErrno());
            }
            return buffer.AsSpan(0, (int)n).ToArray();
        }
    }

    /// <summary>llistxattr(2): every attribute name the caller may see (all namespaces for root).</summary>
    public static List<byte[]> ListXattrs(ReadOnlySpan<byte> path)
    {
        byte[] c = CPath(path);
        var names = new List<byte[]>();
        fixed (byte* p = c)
        {
            while (true)
            {
                nint size = llistxattr_raw(p, null, 0);
                if (size < 0)
                {
                    Errno e = LastErrno();
                    if (e is Errno.EOPNOTSUPP)
                    {
                        return names;
                    }
                    throw new SystemCallException("llistxattr", Display(path), e);
                }
                if (size == 0)
                {
                    return names;
                }
                byte[] list = new byte[size];
                nint n;
                fixed (byte* l = list)
                {
                    n = llistxattr_raw(p, l, (nuint)list.Length);
                }
                if (n < 0)
                {
                    Errno e = LastErrno();
                    if (e == Errno.ERANGE)
                    {
                        continue; // grew in between
                    }
                    throw new SystemCallException("llistxattr", Display(path), e);
                }
                foreach (Range r in list.AsSpan(0, (int)n).Split((byte)0))
                {
                    if (r.End.Value > r.Start.Value)
                    {
                        names.Add(list[r]);
                    }
                }
                return names;
            }
        }
    }

    /// <summary>lgetxattr(2): the raw value bytes.</summary>
    public static byte[] GetXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name)
    {
        byte[] c = CPath(path);
        byte[] cn = CPath(name);
        fixed (byte* p = c)
        fixed (byte* nm = cn)
        {
            while (true)
            {
                nint size = lgetxattr_raw(p, nm, null, 0);
                if (size < 0)
                {
                    throw new SystemCallException("lgetxattr", $"{Display(path)} {Display(name)}", LastErrno());
                }
                byte[] value = new byte[size];
                nint n;
                fixed (byte* v = value)
                {
                    n = lgetxattr_raw(p, nm, size == 0 ? null : v, (nuint)value.Length);
                }
                if (n < 0)
                {
                    Errno e = LastErrno();
                    if (e == Errno.ERANGE)
                    {
                        continue;
                    }
                    throw new SystemCallException("lgetxattr", $"{Display(path)} {Display(name)}", e);
                }
                return n == value.Length ? value : value.AsSpan(0, (int)n).ToArray();
            }
        }
    }

    public static void SetXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags = 0)
    {
        byte[] c = CPath(path);
        byte[] cn = CPath(name);
        byte dummy = 0;
        fixed (byte* p = c)
        fixed (byte* nm = cn)
        fixed (byte* v = value)
        {
            if (lsetxattr_raw(p, nm, value.IsEmpty ? &dummy : v, (nuint)value.Length, flags) != 0)
            {
                Errno e = LastErrno();
                throw new SystemCallException("lsetxattr", $"{Display(path)} {Display(name)}", e, e switch
                {
                    Errno.EOPNOTSUPP => "the destination file system does not support this attribute namespace (or ACLs); export onto ext4, xfs or btrfs",
                    Errno.EPERM => "trusted.* and security.capability need root",
                    _ => null,
                });
            }
        }
    }

    /// <summary>lremovexattr(2); false when the attribute was not there (ENODATA) or the namespace is unsupported.</summary>
    public static bool TryRemoveXattr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name)
    {
        byte[] c = CPath(path);
        byte[] cn = CPath(name);
        fixed (byte* p = c)
        fixed (byte* nm = cn)
        {
            if (lremovexattr_raw(p, nm) == 0)
            {
                return true;
            }
            Errno e = LastErrno();
            if (e is Errno.ENODATA or Errno.EOPNOTSUPP)
            {
                return false;
            }
            throw new SystemCallException("lremovexattr", $"{Display(path)} {Display(name)}", e);
        }
    }

    /// <summary>mknod(2) of a device, FIFO or socket; <paramref name="mode"/> carries the type bits.</summary>
    public static void MakeNode(ReadOnlySpan<byte> path, uint mode, uint major, uint minor)
    {
        byte[] c = CPath(path);
        fixed (byte* p = c)
        {
            if (mknod_raw(p, mode, MakeDev(major, minor)) != 0)
            {
                Errno e = LastErrno();
                throw new SystemCallException("mknod", Display(path), e, e == Errno.EPERM ? "device nodes need root (CAP_MKNOD) and a file system not mounted nodev" : null);
            }
        }
    }

    public static void MakeDirectory(ReadOnlySpan<byte> path, uint mode)
    {
        byte[] c = CPath(path);
        fixed (byte* p = c)
        {
            if (mkdir_raw(p, mode) != 0)
            {
                Errno e = LastErrno();
                throw new SystemCallException("mkdir", Display(path), e, e == Errno.EEXIST ? "it already exists; export into an empty directory" : null);
            }
        }
    }

    public static void Symlink(ReadOnlySpan<byte> target, ReadOnlySpan<byte> linkPath)
    {
        byte[] ct = CPath(target);
        byte[] cl = CPath(linkPath);
        fixed (byte* t = ct)
        fixed (byte* l = cl)
        {
            if (symlink_raw(t, l) != 0)
            {
                throw new SystemCallException("symlink", Display(linkPath), LastErrno());
            }
        }
    }

    public static void Link(ReadOnlySpan<byte> oldPath, ReadOnlySpan<byte> newPath)
    {
        byte[] co = CPath(oldPath);
        byte[] cn = CPath(newPath);
        fixed (byte* o = co)
        fixed (byte* n = cn)
        {
            if (link_raw(o, n) != 0)
            {
                Errno e = LastErrno();
                throw new SystemCallException("link", $"{Display(oldPath)} -> {Display(newPath)}", e,
                    e == Errno.EPERM ? "hard links need root when fs.protected_hardlinks is set" : null);
            }
        }
    }

    public static void LChown(ReadOnlySpan<byte> path, uint uid, uint gid)
    {
        byte[] c = CPath(path);
        fixed (byte* p = c)
        {
            if (lchown_raw(p, uid, gid) != 0)
            {
                Errno e = LastErrno();
                throw new SystemCallException("lchown", Display(path), e, e == Errno.EPERM ? "changing ownership needs root" : null);
            }
        }
    }

    /// <summary>chmod(2) (follows symlinks: never call it on one).</summary>
    public static void Chmod(ReadOnlySpan<byte> path, uint mode)
    {
        byte[] c = CPath(path);
        fixed (byte* p = c)
        {
            if (chmod_raw(p, mode) != 0)
            {
                throw new SystemCallException("chmod", Display(path), LastErrno());
            }
        }
    }

    /// <summary>utimensat(AT_FDCWD, path, {atime, mtime}, AT_SYMLINK_NOFOLLOW): nanosecond times on any inode type.</summary>
    public static void SetTimes(ReadOnlySpan<byte> path, HostTime atime, HostTime mtime)
    {
        byte[] c = CPath(path);
        long* times = stackalloc long[4];
        times[0] = atime.Seconds;
        times[1] = atime.Nanoseconds;
        times[2] = mtime.Seconds;
        times[3] = mtime.Nanoseconds;
        fixed (byte* p = c)
        {
            if (utimensat_raw(AT_FDCWD, p, times, AT_SYMLINK_NOFOLLOW) != 0)
            {
                throw new SystemCallException("utimensat", Display(path), LastErrno());
            }
        }
    }

    /// <summary>glibc makedev(): the 64-bit dev_t (layout at the top of this file).</summary>
    public static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xFFF) << 8) | ((ulong)(major & ~0xFFFu) << 32) | (minor & 0xFFu) | ((ulong)(minor & ~0xFFu) << 12);
}

/// <summary>A host timestamp: seconds since the epoch and nanoseconds.</summary>
public readonly record struct HostTime(long Seconds, uint Nanoseconds);

/// <summary>What lstat/statx reports about a host inode (times to the nanosecond, birth time when the file system has one).</summary>
public readonly record struct HostStat(
    uint Mode, uint Nlink, uint Uid, uint Gid, ulong Inode, ulong SizeBytes, ulong Blocks512,
    HostTime Atime, HostTime Mtime, HostTime Ctime, HostTime? Btime,
    uint RdevMajor, uint RdevMinor, uint DevMajor, uint DevMinor)
{
    public uint Type => Mode & LibC.S_IFMT;
    public bool IsDirectory => Type == LibC.S_IFDIR;
    public bool IsRegular => Type == LibC.S_IFREG;
    public bool IsSymlink => Type == LibC.S_IFLNK;
    public bool IsDevice => Type is LibC.S_IFCHR or LibC.S_IFBLK;
}
