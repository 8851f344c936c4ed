// The FUSE kernel ABI: include/uapi/linux/fuse.h (libfuse: include/fuse_kernel.h), mirrored verbatim.
//
// C names are kept on purpose (STYLE habit 2) so that a reader can grep the kernel header and this
// file side by side. Every struct is blittable, [StructLayout(Sequential)], and read/written in HOST
// byte order with MemoryMarshal (the kernel and the daemon share a machine; there is no wire endianness).
// Each opcode and flag carries the protocol minor ("7.NN") that introduced it.
//
// Sizes (bytes) checked by tests/Argos.Fuse.Tests/FuseAbiTests.cs against a C program compiled with the
// system's <linux/fuse.h>:
//   fuse_in_header 40   fuse_out_header 16   fuse_attr 88   fuse_entry_out 128   fuse_attr_out 104
//   fuse_init_in 64 (16 before 7.36)   fuse_init_out 64 (8 before 7.5, 24 before 7.23)
//   fuse_kstatfs 80 (48 before 7.4)   fuse_setattr_in 88   fuse_read_in 40   fuse_write_in 40 (24 before 7.9)
//   fuse_setxattr_in 16 (8 without FUSE_SETXATTR_EXT)   fuse_mknod_in 16 (8 before 7.12)
//   fuse_dirent 24 + name, fuse_direntplus 152 + name, both padded to 8 (FUSE_REC_ALIGN).
//
// Versions: this mirror covers protocol 7.45. Argos answers INIT with FUSE_KERNEL_MINOR_VERSION; the
// kernel then speaks min(its minor, ours).
#pragma warning disable IDE1006 // C names on purpose
#pragma warning disable CA1707  // underscores in C names on purpose

using System.Runtime.InteropServices;

namespace Argos.Fuse;

/// <summary>Constants of fuse.h: versions, flags, sizes, ioctls.</summary>
public static class FuseAbi
{
    public const uint FUSE_KERNEL_VERSION = 7;
    public const uint FUSE_KERNEL_MINOR_VERSION = 45;

    /// <summary>The node ID of the root inode.</summary>
    public const ulong FUSE_ROOT_ID = 1;

    /// <summary>The read buffer is required to be at least 8k, but may be much larger.</summary>
    public const int FUSE_MIN_READ_BUFFER = 8192;

    // Compat sizes: what older kernels send or expect.
    public const int FUSE_COMPAT_ENTRY_OUT_SIZE = 120;    // < 7.9: fuse_attr without blksize/flags
    public const int FUSE_COMPAT_ATTR_OUT_SIZE = 96;      // < 7.9
    public const int FUSE_COMPAT_MKNOD_IN_SIZE = 8;       // < 7.12: no umask
    public const int FUSE_COMPAT_WRITE_IN_SIZE = 24;      // < 7.9: no lock_owner/flags
    public const int FUSE_COMPAT_STATFS_SIZE = 48;        // < 7.4: no frsize
    public const int FUSE_COMPAT_SETXATTR_IN_SIZE = 8;    // without FUSE_SETXATTR_EXT
    public const int FUSE_COMPAT_INIT_OUT_SIZE = 8;       // < 7.5
    public const int FUSE_COMPAT_22_INIT_OUT_SIZE = 24;   // < 7.23
    public const int FUSE_COMPAT_INIT_IN_SIZE = 16;       // < 7.36 (no flags2/unused): "read INIT by length"
    public const int CUSE_INIT_INFO_MAX = 4096;

    // fuse_setattr_in.valid
    public const uint FATTR_MODE = 1 << 0;
    public const uint FATTR_UID = 1 << 1;
    public const uint FATTR_GID = 1 << 2;
    public const uint FATTR_SIZE = 1 << 3;
    public const uint FATTR_ATIME = 1 << 4;
    public const uint FATTR_MTIME = 1 << 5;
    public const uint FATTR_FH = 1 << 6;
    public const uint FATTR_ATIME_NOW = 1 << 7;       // 7.9
    public const uint FATTR_MTIME_NOW = 1 << 8;       // 7.9
    public const uint FATTR_LOCKOWNER = 1 << 9;       // 7.9
    public const uint FATTR_CTIME = 1 << 10;          // 7.23
    public const uint FATTR_KILL_SUIDGID = 1 << 11;   // 7.33

    // fuse_open_out.open_flags
    public const uint FOPEN_DIRECT_IO = 1 << 0;               // 7.2
    public const uint FOPEN_KEEP_CACHE = 1 << 1;              // 7.2
    public const uint FOPEN_NONSEEKABLE = 1 << 2;             // 7.10
    public const uint FOPEN_CACHE_DIR = 1 << 3;               // 7.28
    public const uint FOPEN_STREAM = 1 << 4;                  // 7.31
    public const uint FOPEN_NOFLUSH = 1 << 5;                 // 7.35
    public const uint FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;  // 7.38
    public const uint FOPEN_PASSTHROUGH = 1 << 7;             // 7.40

    // INIT flags (fuse_init_in.flags / fuse_init_out.flags; bits 32..63 travel in flags2 from 7.36).
    public const ulong FUSE_ASYNC_READ = 1UL << 0;            // 7.5 (flags field itself is 7.5)
    public const ulong FUSE_POSIX_LOCKS = 1UL << 1;           // 7.7
    public const ulong FUSE_FILE_OPS = 1UL << 2;              // 7.9 (never implemented by the kernel)
    public const ulong FUSE_ATOMIC_O_TRUNC = 1UL << 3;        // 7.9
    public const ulong FUSE_EXPORT_SUPPORT = 1UL << 4;        // 7.10
    public const ulong FUSE_BIG_WRITES = 1UL << 5;            // 7.9
    public const ulong FUSE_DONT_MASK = 1UL << 6;             // 7.12
    public const ulong FUSE_SPLICE_WRITE = 1UL << 7;          // 7.14
    public const ulong FUSE_SPLICE_MOVE = 1UL << 8;           // 7.14
    public const ulong FUSE_SPLICE_READ = 1UL << 9;           // 7.14
    public const ulong FUSE_FLOCK_LOCKS = 1UL << 10;          // 7.17
    public const ulong FUSE_HAS_IOCTL_DIR = 1UL << 11;        // 7.18
    public const ulong FUSE_AUTO_INVAL_DATA = 1UL << 12;      // 7.20
    public const ulong FUSE_DO_READDIRPLUS = 1UL << 13;       // 7.21
    public const ulong FUSE_READDIRPLUS_AUTO = 1UL << 14;     // 7.21
    public const ulong FUSE_ASYNC_DIO = 1UL << 15;            // 7.22
    public const ulong FUSE_WRITEBACK_CACHE = 1UL << 16;      // 7.23
    public const ulong FUSE_NO_OPEN_SUPPORT = 1UL << 17;      // 7.23
    public const ulong FUSE_PARALLEL_DIROPS = 1UL << 18;      // 7.25
    public const ulong FUSE_HANDLE_KILLPRIV = 1UL << 19;      // 7.26
    public const ulong FUSE_POSIX_ACL = 1UL << 20;            // 7.26
    public const ulong FUSE_ABORT_ERROR = 1UL << 21;          // 7.27
    public const ulong FUSE_MAX_PAGES = 1UL << 22;            // 7.28
    public const ulong FUSE_CACHE_SYMLINKS = 1UL << 23;       // 7.28
    public const ulong FUSE_NO_OPENDIR_SUPPORT = 1UL << 24;   // 7.29
    public const ulong FUSE_EXPLICIT_INVAL_DATA = 1UL << 25;  // 7.30
    public const ulong FUSE_MAP_ALIGNMENT = 1UL << 26;        // 7.31
    public const ulong FUSE_SUBMOUNTS = 1UL << 27;            // 7.32
    public const ulong FUSE_HANDLE_KILLPRIV_V2 = 1UL << 28;   // 7.33
    public const ulong FUSE_SETXATTR_EXT = 1UL << 29;         // 7.33
    public const ulong FUSE_INIT_EXT = 1UL << 30;             // 7.36
    public const ulong FUSE_INIT_RESERVED = 1UL << 31;        // 7.36
    public const ulong FUSE_SECURITY_CTX = 1UL << 32;         // 7.36
    public const ulong FUSE_HAS_INODE_DAX = 1UL << 33;        // 7.36
    public const ulong FUSE_CREATE_SUPP_GROUP = 1UL << 34;    // 7.38
    public const ulong FUSE_HAS_EXPIRE_ONLY = 1UL << 35;      // 7.38
    public const ulong FUSE_DIRECT_IO_ALLOW_MMAP = 1UL << 36; // 7.39
    public const ulong FUSE_PASSTHROUGH = 1UL << 37;          // 7.40
    public const ulong FUSE_NO_EXPORT_SUPPORT = 1UL << 38;    // 7.40
    public const ulong FUSE_HAS_RESEND = 1UL << 39;           // 7.40
    public const ulong FUSE_ALLOW_IDMAP = 1UL << 40;          // 7.41
    public const ulong FUSE_OVER_IO_URING = 1UL << 41;        // 7.42
    public const ulong FUSE_REQUEST_TIMEOUT = 1UL << 42;      // 7.43

    // CUSE INIT flags
    public const uint CUSE_UNRESTRICTED_IOCTL = 1 << 0;

    // fuse_release_in.release_flags
    public const uint FUSE_RELEASE_FLUSH = 1 << 0;            // 7.8
    public const uint FUSE_RELEASE_FLOCK_UNLOCK = 1 << 1;     // 7.17

    // fuse_getattr_in.getattr_flags
    public const uint FUSE_GETATTR_FH = 1 << 0;               // 7.9

    // fuse_lk_in.lk_flags
    public const uint FUSE_LK_FLOCK = 1 << 0;                 // 7.17

    // fuse_write_in.write_flags
    public const uint FUSE_WRITE_CACHE = 1 << 0;              // 7.9
    public const uint FUSE_WRITE_LOCKOWNER = 1 << 1;          // 7.9
    public const uint FUSE_WRITE_KILL_SUIDGID = 1 << 2;       // 7.31 (as FUSE_WRITE_KILL_PRIV)
    public const uint FUSE_WRITE_KILL_PRIV = FUSE_WRITE_KILL_SUIDGID; // obsolete alias

    // fuse_read_in.read_flags
    public const uint FUSE_READ_LOCKOWNER = 1 << 1;           // 7.9

    // fuse_ioctl_in.flags
    public const uint FUSE_IOCTL_COMPAT = 1 << 0;             // 7.11
    public const uint FUSE_IOCTL_UNRESTRICTED = 1 << 1;       // 7.11
    public const uint FUSE_IOCTL_RETRY = 1 << 2;              // 7.11
    public const uint FUSE_IOCTL_32BIT = 1 << 3;              // 7.16
    public const uint FUSE_IOCTL_DIR = 1 << 4;                // 7.18
    public const uint FUSE_IOCTL_COMPAT_X32 = 1 << 5;         // 7.30
    public const int FUSE_IOCTL_MAX_IOV = 256;

    // fuse_poll_in.flags
    public const uint FUSE_POLL_SCHEDULE_NOTIFY = 1 << 0;     // 7.11

    // fuse_fsync_in.fsync_flags
    public const uint FUSE_FSYNC_FDATASYNC = 1 << 0;

    // fuse_attr.flags
    public const uint FUSE_ATTR_SUBMOUNT = 1 << 0;            // 7.32
    public const uint FUSE_ATTR_DAX = 1 << 1;                 // 7.36

    // fuse_open_in.open_flags / fuse_create_in.open_flags
    public const uint FUSE_OPEN_KILL_SUIDGID = 1 << 0;        // 7.33

    // fuse_setxattr_in.setxattr_flags
    public const uint FUSE_SETXATTR_ACL_KILL_SGID = 1 << 0;   // 7.33

    // fuse_notify_inval_entry_out.flags
    public const uint FUSE_EXPIRE_ONLY = 1 << 0;              // 7.38

    // enum fuse_ext_type
    public const uint FUSE_MAX_NR_SECCTX = 31;                // 7.38
    public const uint FUSE_EXT_GROUPS = 32;                   // 7.38

    // fuse_in_header.unique bits
    public const ulong FUSE_INT_REQ_BIT = 1UL << 0;           // 7.40 (named; behaviour since 7.7)
    public const ulong FUSE_UNIQUE_RESEND = 1UL << 63;        // 7.40

    // Device ioctls: FUSE_DEV_IOC_CLONE = _IOR(229, 0, uint32_t)
    public const uint FUSE_DEV_IOC_MAGIC = 229;
    public const uint FUSE_DEV_IOC_CLONE = (2u << 30) | (4u << 16) | (FUSE_DEV_IOC_MAGIC << 8) | 0; // 7.24 (kernel 4.2)

    /// <summary>FUSE_REC_ALIGN: variable-length records are padded to 8 bytes.</summary>
    public static int FUSE_REC_ALIGN(int x) => (x + sizeof(ulong) - 1) & ~(sizeof(ulong) - 1);

    /// <summary>offsetof(struct fuse_dirent, name).</summary>
    public const int FUSE_NAME_OFFSET = 24;

    /// <summary>offsetof(struct fuse_direntplus, dirent.name).</summary>
    public const int FUSE_NAME_OFFSET_DIRENTPLUS = 128 + 24;

    public static int FUSE_DIRENT_SIZE(int namelen) => FUSE_REC_ALIGN(FUSE_NAME_OFFSET + namelen);

    public static int FUSE_DIRENTPLUS_SIZE(int namelen) => FUSE_REC_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + namelen);

    // Mode bits used when packing directory entries (fuse_dirent.type is DT_*, i.e. S_IFMT >> 12).
    public const uint S_IFMT = 0xF000;
    public const uint S_IFDIR = 0x4000;
}

/// <summary>enum fuse_opcode.</summary>
public enum fuse_opcode : uint
{
    FUSE_LOOKUP = 1,
    FUSE_FORGET = 2,            // no reply
    FUSE_GETATTR = 3,
    FUSE_SETATTR = 4,           // 7.1
    FUSE_READLINK = 5,
    FUSE_SYMLINK = 6,           // 7.1
    FUSE_MKNOD = 8,             // 7.1
    FUSE_MKDIR = 9,             // 7.1
    FUSE_UNLINK = 10,           // 7.1
    FUSE_RMDIR = 11,            // 7.1
    FUSE_RENAME = 12,           // 7.1
    FUSE_LINK = 13,             // 7.1
    FUSE_OPEN = 14,             // 7.1
    FUSE_READ = 15,             // 7.1
    FUSE_WRITE = 16,            // 7.1
    FUSE_STATFS = 17,
    FUSE_RELEASE = 18,          // 7.1
    FUSE_FSYNC = 20,            // 7.1
    FUSE_SETXATTR = 21,         // 7.1
    FUSE_GETXATTR = 22,         // 7.1
    FUSE_LISTXATTR = 23,        // 7.1
    FUSE_REMOVEXATTR = 24,      // 7.1
    FUSE_FLUSH = 25,            // 7.1
    FUSE_INIT = 26,
    FUSE_OPENDIR = 27,          // 7.1
    FUSE_READDIR = 28,          // 7.1
    FUSE_RELEASEDIR = 29,       // 7.1
    FUSE_FSYNCDIR = 30,         // 7.2
    FUSE_GETLK = 31,            // 7.7
    FUSE_SETLK = 32,            // 7.7
    FUSE_SETLKW = 33,           // 7.7
    FUSE_ACCESS = 34,           // 7.3
    FUSE_CREATE = 35,           // 7.3
    FUSE_INTERRUPT = 36,        // 7.7
    FUSE_BMAP = 37,             // 7.8
    FUSE_DESTROY = 38,          // 7.8
    FUSE_IOCTL = 39,            // 7.11
    FUSE_POLL = 40,             // 7.11
    FUSE_NOTIFY_REPLY = 41,     // 7.15
    FUSE_BATCH_FORGET = 42,     // 7.16, no reply
    FUSE_FALLOCATE = 43,        // 7.19
    FUSE_READDIRPLUS = 44,      // 7.21
    FUSE_RENAME2 = 45,          // 7.23
    FUSE_LSEEK = 46,            // 7.24
    FUSE_COPY_FILE_RANGE = 47,  // 7.28
    FUSE_SETUPMAPPING = 48,     // 7.31
    FUSE_REMOVEMAPPING = 49,    // 7.31
    FUSE_SYNCFS = 50,           // 7.34
    FUSE_TMPFILE = 51,          // 7.37
    FUSE_STATX = 52,            // 7.39
    FUSE_COPY_FILE_RANGE_64 = 53, // 7.45

    // CUSE specific operations
    CUSE_INIT = 4096,

    // Reserved opcodes: helpful to detect structure endian-ness
    CUSE_INIT_BSWAP_RESERVED = 1048576,     // CUSE_INIT << 8
    FUSE_INIT_BSWAP_RESERVED = 436207616,   // FUSE_INIT << 24
}

/// <summary>enum fuse_notify_code (the error field of an unsolicited fuse_out_header with unique 0).</summary>
public enum fuse_notify_code : int
{
    FUSE_NOTIFY_POLL = 1,           // 7.11
    FUSE_NOTIFY_INVAL_INODE = 2,    // 7.12
    FUSE_NOTIFY_INVAL_ENTRY = 3,    // 7.12
    FUSE_NOTIFY_STORE = 4,          // 7.15
    FUSE_NOTIFY_RETRIEVE = 5,       // 7.15
    FUSE_NOTIFY_DELETE = 6,         // 7.18
    FUSE_NOTIFY_RESEND = 7,         // 7.40
    FUSE_NOTIFY_INC_EPOCH = 8,      // 7.44
    FUSE_NOTIFY_PRUNE = 9,          // 7.45
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_attr
{
    public ulong ino;
    public ulong size;
    public ulong blocks;
    public ulong atime;
    public ulong mtime;
    public ulong ctime;
    public uint atimensec;
    public uint mtimensec;
    public uint ctimensec;
    public uint mode;
    public uint nlink;
    public uint uid;
    public uint gid;
    public uint rdev;
    public uint blksize;    // 7.9
    public uint flags;      // 7.32 (padding before)
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct fuse_kstatfs
{
    public ulong blocks;
    public ulong bfree;
    public ulong bavail;
    public ulong files;
    public ulong ffree;
    public uint bsize;
    public uint namelen;
    public uint frsize;     // 7.4
    public uint padding;
    public fixed uint spare[6];
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_file_lock
{
    public ulong start;
    public ulong end;
    public uint type;
    public uint pid; // tgid
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_entry_out
{
    public ulong nodeid;        // Inode ID
    public ulong generation;    // nodeid:gen must be unique for the fs's lifetime
    public ulong entry_valid;   // cache timeout for the name
    public ulong attr_valid;    // cache timeout for the attributes
    public uint entry_valid_nsec;
    public uint attr_valid_nsec;
    public fuse_attr attr;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_forget_in
{
    public ulong nlookup;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_forget_one
{
    public ulong nodeid;
    public ulong nlookup;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_batch_forget_in
{
    public uint count;
    public uint dummy;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_getattr_in     // 7.9
{
    public uint getattr_flags;
    public uint dummy;
    public ulong fh;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_attr_out
{
    public ulong attr_valid;    // cache timeout for the attributes
    public uint attr_valid_nsec;
    public uint dummy;
    public fuse_attr attr;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_sx_time        // 7.39
{
    public long tv_sec;
    public uint tv_nsec;
    public int __reserved;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct fuse_statx   // 7.39
{
    public uint mask;
    public uint blksize;
    public ulong attributes;
    public uint nlink;
    public uint uid;
    public uint gid;
    public ushort mode;
    public ushort __spare0;
    public ulong ino;
    public ulong size;
    public ulong blocks;
    public ulong attributes_mask;
    public fuse_sx_time atime;
    public fuse_sx_time btime;
    public fuse_sx_time ctime;
    public fuse_sx_time mtime;
    public uint rdev_major;
    public uint rdev_minor;
    public uint dev_major;
    public uint dev_minor;
    public fixed ulong __spare2[14];
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_statx_in       // 7.39
{
    public uint getattr_flags;
    public uint reserved;
    public ulong fh;
    public uint sx_flags;
    public uint sx_mask;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct fuse_statx_out   // 7.39
{
    public ulong attr_valid;
    public uint attr_valid_nsec;
    public uint flags;
    public fixed ulong spare[2];
    public fuse_statx stat;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_mknod_in
{
    public uint mode;
    public uint rdev;
    public uint umask;      // 7.12
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_mkdir_in
{
    public uint mode;
    public uint umask;      // 7.12 (padding before)
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_rename_in
{
    public ulong newdir;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_rename2_in     // 7.23
{
    public ulong newdir;
    public uint flags;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_link_in
{
    public ulong oldnodeid;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_setattr_in
{
    public uint valid;
    public uint padding;
    public ulong fh;            // 7.3
    public ulong size;
    public ulong lock_owner;    // 7.9
    public ulong atime;
    public ulong mtime;
    public ulong ctime;         // 7.23
    public uint atimensec;
    public uint mtimensec;
    public uint ctimensec;      // 7.23
    public uint mode;
    public uint unused4;
    public uint uid;
    public uint gid;
    public uint unused5;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_open_in
{
    public uint flags;
    public uint open_flags;     // 7.33 FUSE_OPEN_*
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_create_in      // 7.12 (fuse_open_in before)
{
    public uint flags;
    public uint mode;
    public uint umask;
    public uint open_flags;     // 7.33 FUSE_OPEN_*
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_open_out
{
    public ulong fh;
    public uint open_flags;
    public int backing_id;      // 7.40 (padding before)
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_release_in
{
    public ulong fh;
    public uint flags;
    public uint release_flags;  // 7.8
    public ulong lock_owner;    // 7.8
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_flush_in
{
    public ulong fh;
    public uint unused;
    public uint padding;
    public ulong lock_owner;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_read_in
{
    public ulong fh;
    public ulong offset;
    public uint size;
    public uint read_flags;
    public ulong lock_owner;    // 7.9
    public uint flags;          // 7.9
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_write_in
{
    public ulong fh;
    public ulong offset;
    public uint size;
    public uint write_flags;
    public ulong lock_owner;    // 7.9
    public uint flags;          // 7.9
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_write_out
{
    public uint size;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_statfs_out
{
    public fuse_kstatfs st;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_fsync_in
{
    public ulong fh;
    public uint fsync_flags;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_setxattr_in
{
    public uint size;
    public uint flags;
    public uint setxattr_flags; // 7.33, only with FUSE_SETXATTR_EXT
    public uint padding;        // 7.33, only with FUSE_SETXATTR_EXT
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_getxattr_in
{
    public uint size;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_getxattr_out
{
    public uint size;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_lk_in
{
    public ulong fh;
    public ulong owner;
    public fuse_file_lock lk;
    public uint lk_flags;       // 7.9
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_lk_out
{
    public fuse_file_lock lk;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_access_in      // 7.3
{
    public uint mask;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct fuse_init_in
{
    public uint major;
    public uint minor;
    public uint max_readahead;  // 7.6
    public uint flags;          // 7.6
    public uint flags2;         // 7.36, present when FUSE_INIT_EXT is set
    public fixed uint unused[11]; // 7.36
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct fuse_init_out
{
    public uint major;
    public uint minor;
    public uint max_readahead;      // 7.6
    public uint flags;              // 7.5
    public ushort max_background;   // 7.13
    public ushort congestion_threshold; // 7.13
    public uint max_write;          // 7.5
    public uint time_gran;          // 7.23
    public ushort max_pages;        // 7.28
    public ushort map_alignment;    // 7.31
    public uint flags2;             // 7.36
    public uint max_stack_depth;    // 7.40
    public ushort request_timeout;  // 7.43
    public fixed ushort unused[11];
}

[StructLayout(LayoutKind.Sequential)]
public struct cuse_init_in
{
    public uint major;
    public uint minor;
    public uint unused;
    public uint flags;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct cuse_init_out
{
    public uint major;
    public uint minor;
    public uint unused;
    public uint flags;
    public uint max_read;
    public uint max_write;
    public uint dev_major;      // chardev major
    public uint dev_minor;      // chardev minor
    public fixed uint spare[10];
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_interrupt_in   // 7.7
{
    public ulong unique;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_bmap_in        // 7.8
{
    public ulong block;
    public uint blocksize;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_bmap_out       // 7.8
{
    public ulong block;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_ioctl_in       // 7.11
{
    public ulong fh;
    public uint flags;
    public uint cmd;
    public ulong arg;
    public uint in_size;
    public uint out_size;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_ioctl_iovec    // 7.16
{
    public ulong @base;
    public ulong len;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_ioctl_out      // 7.11
{
    public int result;
    public uint flags;
    public uint in_iovs;
    public uint out_iovs;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_poll_in        // 7.11
{
    public ulong fh;
    public ulong kh;
    public uint flags;
    public uint events;         // 7.21
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_poll_out       // 7.11
{
    public uint revents;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_notify_poll_wakeup_out
{
    public ulong kh;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_fallocate_in   // 7.19
{
    public ulong fh;
    public ulong offset;
    public ulong length;
    public uint mode;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_in_header
{
    public uint len;
    public uint opcode;
    public ulong unique;
    public ulong nodeid;
    public uint uid;
    public uint gid;
    public uint pid;
    public ushort total_extlen; // 7.38: length of extensions in 8-byte units
    public ushort padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_out_header
{
    public uint len;
    public int error;
    public ulong unique;
}

/// <summary>struct fuse_dirent without its flexible name[] (FUSE_NAME_OFFSET = 24).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct fuse_dirent
{
    public ulong ino;
    public ulong off;
    public uint namelen;
    public uint type;
    // char name[];
}

/// <summary>struct fuse_direntplus without the dirent's name[] (FUSE_NAME_OFFSET_DIRENTPLUS = 152).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct fuse_direntplus     // 7.21
{
    public fuse_entry_out entry_out;
    public fuse_dirent dirent;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_notify_inval_inode_out // 7.12
{
    public ulong ino;
    public long off;
    public long len;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_notify_inval_entry_out // 7.12
{
    public ulong parent;
    public uint namelen;
    public uint flags;          // 7.38 (padding before)
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_notify_delete_out  // 7.18
{
    public ulong parent;
    public ulong child;
    public uint namelen;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_notify_store_out   // 7.15
{
    public ulong nodeid;
    public ulong offset;
    public uint size;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_notify_retrieve_out    // 7.15
{
    public ulong notify_unique;
    public ulong nodeid;
    public ulong offset;
    public uint size;
    public uint padding;
}

/// <summary>Matches the size of fuse_write_in.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct fuse_notify_retrieve_in     // 7.15
{
    public ulong dummy1;
    public ulong offset;
    public uint size;
    public uint dummy2;
    public ulong dummy3;
    public ulong dummy4;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_lseek_in       // 7.24
{
    public ulong fh;
    public ulong offset;
    public uint whence;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_lseek_out      // 7.24
{
    public ulong offset;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_copy_file_range_in // 7.28
{
    public ulong fh_in;
    public ulong off_in;
    public ulong nodeid_out;
    public ulong fh_out;
    public ulong off_out;
    public ulong len;
    public ulong flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_copy_file_range_out    // 7.45
{
    public ulong bytes_copied;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_setupmapping_in    // 7.31
{
    public ulong fh;
    public ulong foffset;
    public ulong len;
    public ulong flags;
    public ulong moffset;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_removemapping_in   // 7.31
{
    public uint count;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_removemapping_one  // 7.31
{
    public ulong moffset;
    public ulong len;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_syncfs_in      // 7.34
{
    public ulong padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_secctx         // 7.36
{
    public uint size;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_secctx_header  // 7.36
{
    public uint size;
    public uint nr_secctx;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_ext_header     // 7.38
{
    public uint size;
    public uint type;
}

/// <summary>FUSE_EXT_GROUPS payload: count, then count gid_t values.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct fuse_supp_groups    // 7.38
{
    public uint nr_groups;
    // uint32_t groups[];
}
