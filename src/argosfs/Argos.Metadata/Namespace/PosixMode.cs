namespace Argos.Metadata.Namespace;

/// <summary>
/// Linux st_mode bits (include/uapi/linux/stat.h). C# has no octal literals, so each constant
/// carries its octal spelling. A directory entry's d_type is exactly <c>(mode &amp; S_IFMT) &gt;&gt; 12</c>.
/// </summary>
public static class PosixMode
{
    public const uint S_IFMT = 0xF000;   // 0170000
    public const uint S_IFSOCK = 0xC000; // 0140000
    public const uint S_IFLNK = 0xA000;  // 0120000
    public const uint S_IFREG = 0x8000;  // 0100000
    public const uint S_IFBLK = 0x6000;  // 0060000
    public const uint S_IFDIR = 0x4000;  // 0040000
    public const uint S_IFCHR = 0x2000;  // 0020000
    public const uint S_IFIFO = 0x1000;  // 0010000
    public const uint S_ISUID = 0x800;   // 0004000
    public const uint S_ISGID = 0x400;   // 0002000
    public const uint S_ISVTX = 0x200;   // 0001000
    public const uint S_IRWXU = 0x1C0;   // 0000700
    public const uint S_IRWXG = 0x38;    // 0000070
    public const uint S_IRWXO = 0x7;     // 0000007
    public const uint S_IXGRP = 0x8;     // 0000010
    public const uint S_IXUSR = 0x40;    // 0000100
    public const uint S_IXOTH = 0x1;     // 0000001
    /// <summary>Permission and special bits (07777).</summary>
    public const uint PermissionMask = 0xFFF;
    /// <summary>rwx for user, group and other (0777).</summary>
    public const uint AccessMask = 0x1FF;

    public static FileType TypeOf(uint mode) => (FileType)(mode & S_IFMT);

    public static bool IsDirectory(uint mode) => (mode & S_IFMT) == S_IFDIR;

    public static bool IsRegular(uint mode) => (mode & S_IFMT) == S_IFREG;

    public static bool IsSymlink(uint mode) => (mode & S_IFMT) == S_IFLNK;

    /// <summary>True for the seven inode types Linux knows.</summary>
    public static bool IsValidType(uint mode) => (mode & S_IFMT) switch
    {
        S_IFSOCK or S_IFLNK or S_IFREG or S_IFBLK or S_IFDIR or S_IFCHR or S_IFIFO => true,
        _ => false,
    };

    /// <summary>The d_type byte of a directory entry (DT_REG = 8, DT_DIR = 4, …).</summary>
    public static byte DirentType(uint mode) => (byte)((mode & S_IFMT) >> 12);
}

/// <summary>The inode type, valued as its S_IFMT bits.</summary>
public enum FileType : uint
{
    Unknown = 0,
    Fifo = PosixMode.S_IFIFO,
    CharDevice = PosixMode.S_IFCHR,
    Directory = PosixMode.S_IFDIR,
    BlockDevice = PosixMode.S_IFBLK,
    Regular = PosixMode.S_IFREG,
    Symlink = PosixMode.S_IFLNK,
    Socket = PosixMode.S_IFSOCK,
}

/// <summary>renameat2(2) flags (include/uapi/linux/fs.h).</summary>
[Flags]
public enum RenameFlags : uint
{
    None = 0,
    NoReplace = 1,
    Exchange = 2,
    Whiteout = 4,
}

/// <summary>setxattr(2) flags (include/uapi/linux/xattr.h).</summary>
[Flags]
public enum XattrFlags : uint
{
    None = 0,
    Create = 1,
    Replace = 2,
}

/// <summary>access(2) mask bits.</summary>
[Flags]
public enum AccessMode : uint
{
    Exists = 0,
    Execute = 1,
    Write = 2,
    Read = 4,
}
