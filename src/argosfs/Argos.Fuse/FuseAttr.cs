namespace Argos.Fuse;

/// <summary>
/// The attributes of one inode as the kernel caches them (struct fuse_attr). <see cref="Blocks"/> counts
/// 512-byte units (st_blocks); <see cref="BlockSize"/> is st_blksize (0 lets the kernel use its default).
/// </summary>
public struct FuseAttr
{
    public ulong Ino;
    public ulong Size;
    public ulong Blocks;
    public FuseTimestamp Atime;
    public FuseTimestamp Mtime;
    public FuseTimestamp Ctime;
    /// <summary>File type and permission bits (S_IFMT | 07777).</summary>
    public uint Mode;
    public uint Nlink;
    public uint Uid;
    public uint Gid;
    /// <summary>Device number for character/block special files, in the kernel's new_encode_dev form.</summary>
    public uint Rdev;
    public uint BlockSize;

    internal readonly void WriteTo(ref fuse_attr attr)
    {
        attr.ino = Ino;
        attr.size = Size;
        attr.blocks = Blocks;
        attr.atime = (ulong)Atime.Seconds;
        attr.mtime = (ulong)Mtime.Seconds;
        attr.ctime = (ulong)Ctime.Seconds;
        attr.atimensec = Atime.Nanoseconds;
        attr.mtimensec = Mtime.Nanoseconds;
        attr.ctimensec = Ctime.Nanoseconds;
        attr.mode = Mode;
        attr.nlink = Nlink;
        attr.uid = Uid;
        attr.gid = Gid;
        attr.rdev = Rdev;
        attr.blksize = BlockSize;
        attr.flags = 0;
    }
}
