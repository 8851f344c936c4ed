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
    /// <summary>Birth time, for statx(STATX_BTIME) (FUSE_STATX); meaningful only with <see cref="HasBtime"/>.</summary>
    public FuseTimestamp Btime;
    public bool HasBtime;

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

    internal const uint STATX_BASIC_STATS = 0x7ff;
    internal const uint STATX_BTIME = 0x800;

    /// <summary>struct fuse_statx: the basic stats and, when known, the birth time.</summary>
    internal readonly void WriteTo(ref fuse_statx sx)
    {
        sx.mask = STATX_BASIC_STATS | (HasBtime ? STATX_BTIME : 0);
        sx.blksize = BlockSize;
        sx.nlink = Nlink;
        sx.uid = Uid;
        sx.gid = Gid;
        sx.mode = (ushort)Mode;
        sx.ino = Ino;
        sx.size = Size;
        sx.blocks = Blocks;
        sx.atime = Time(Atime);
        sx.mtime = Time(Mtime);
        sx.ctime = Time(Ctime);
        sx.btime = HasBtime ? Time(Btime) : default;
        // new_encode_dev() form → major/minor (the kernel's new_decode_dev)
        sx.rdev_major = (Rdev & 0xfff00) >> 8;
        sx.rdev_minor = (Rdev & 0xff) | ((Rdev >> 12) & 0xfff00);
    }

    private static fuse_sx_time Time(FuseTimestamp t) => new() { tv_sec = t.Seconds, tv_nsec = t.Nanoseconds };
}
