using Argos.Format;

namespace Argos.Metadata.Namespace;

/// <summary>
/// The in-memory inode: one object per inode, fields packed by size (the CLR lays class fields out
/// 8-byte first), ~150 bytes with its header. Directory entries, xattrs and stripes live in side
/// tables keyed by inode so that an inode without them pays nothing.
/// </summary>
internal sealed class InodeNode
{
    public ulong Ino;
    public ulong Size;
    public ulong Rdev;
    public ulong Generation;
    public ulong Parent;
    public ulong NextCookie;
    public long AtimeSec;
    public long MtimeSec;
    public long CtimeSec;
    public long BtimeSec;
    /// <summary>Inline data (regular) or target (symlink). Never mutated in place: replaced, so readers may keep it.</summary>
    public byte[]? Data;
    public uint Mode;
    public uint Uid;
    public uint Gid;
    public uint Nlink;
    public uint Flags;
    public uint AtimeNsec;
    public uint MtimeNsec;
    public uint CtimeNsec;
    public uint BtimeNsec;

    public bool IsDirectory => PosixMode.IsDirectory(Mode);

    public Timespec Atime
    {
        get => new(AtimeSec, AtimeNsec);
        set { AtimeSec = value.Seconds; AtimeNsec = value.Nanoseconds; }
    }

    public Timespec Mtime
    {
        get => new(MtimeSec, MtimeNsec);
        set { MtimeSec = value.Seconds; MtimeNsec = value.Nanoseconds; }
    }

    public Timespec Ctime
    {
        get => new(CtimeSec, CtimeNsec);
        set { CtimeSec = value.Seconds; CtimeNsec = value.Nanoseconds; }
    }

    public Timespec Btime
    {
        get => new(BtimeSec, BtimeNsec);
        set { BtimeSec = value.Seconds; BtimeNsec = value.Nanoseconds; }
    }

    public InodeAttributes ToAttributes() => new()
    {
        Ino = new InodeId(Ino),
        Mode = Mode,
        Uid = Uid,
        Gid = Gid,
        Nlink = Nlink,
        Flags = Flags,
        Size = Size,
        Rdev = Rdev,
        Generation = Generation,
        Atime = Atime,
        Mtime = Mtime,
        Ctime = Ctime,
        Btime = Btime,
    };

    public InodeRecord ToRecord() => new()
    {
        Attributes = ToAttributes(),
        Parent = Parent,
        NextCookie = NextCookie,
        Data = Data,
    };

    public void Assign(in InodeRecord r)
    {
        InodeAttributes a = r.Attributes;
        Ino = a.Ino.Value;
        Mode = a.Mode;
        Uid = a.Uid;
        Gid = a.Gid;
        Nlink = a.Nlink;
        Flags = a.Flags;
        Size = a.Size;
        Rdev = a.Rdev;
        Generation = a.Generation;
        Atime = a.Atime;
        Mtime = a.Mtime;
        Ctime = a.Ctime;
        Btime = a.Btime;
        Parent = r.Parent;
        NextCookie = r.NextCookie;
        Data = r.Data.Length == 0 ? null : r.Data.ToArray();
    }
}
