using Argos.Format;
using Argos.Metadata.Namespace.Encoding;

namespace Argos.Metadata.Namespace;

/// <summary>The attributes of one inode, as stat(2) and FUSE's fuse_attr report them.</summary>
public readonly record struct InodeAttributes
{
    public InodeId Ino { get; init; }
    /// <summary>Type bits (S_IFMT) and permission bits incl. setuid/setgid/sticky.</summary>
    public uint Mode { get; init; }
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public uint Nlink { get; init; }
    /// <summary>FS_IOC_GETFLAGS bits; bit 31 is Argos-internal (<see cref="InodeFlags.Tmpfile"/>).</summary>
    public uint Flags { get; init; }
    public ulong Size { get; init; }
    /// <summary>Device number of a character or block device (Linux new_encode_dev layout as the kernel passes it).</summary>
    public ulong Rdev { get; init; }
    public ulong Generation { get; init; }
    public Timespec Atime { get; init; }
    public Timespec Mtime { get; init; }
    public Timespec Ctime { get; init; }
    /// <summary>Birth (creation) time; never changed after creation.</summary>
    public Timespec Btime { get; init; }

    public FileType Type => PosixMode.TypeOf(Mode);
    public bool IsDirectory => PosixMode.IsDirectory(Mode);
}

/// <summary>An inode record: attributes plus the fields only the namespace and the data path use.</summary>
public readonly record struct InodeRecord
{
    public InodeAttributes Attributes { get; init; }
    /// <summary>Directories: the parent directory ('..'); the root is its own parent. Others: 0.</summary>
    public ulong Parent { get; init; }
    /// <summary>Directories: the cookie the next entry will get. Others: 0.</summary>
    public ulong NextCookie { get; init; }
    /// <summary>Regular files: inline data (≤ <see cref="FsNamespace.InlineDataMaxBytes"/>); symlinks: the target.</summary>
    public ReadOnlyMemory<byte> Data { get; init; }
}

/// <summary>Inode flag bits Argos interprets.</summary>
public static class InodeFlags
{
    /// <summary>An O_TMPFILE inode that may still be linked into the tree (I_LINKABLE); cleared by its first link.</summary>
    public const uint Tmpfile = 1u << 31;
}

/// <summary>One directory entry. <see cref="Cookie"/> is the readdir offset that resumes after it.</summary>
public readonly record struct DirEntry(ReadOnlyMemory<byte> Name, InodeId Ino, FileType Type, ulong Cookie);

/// <summary>A directory entry with the child's attributes (READDIRPLUS).</summary>
public readonly record struct DirEntryPlus(DirEntry Entry, InodeAttributes Attributes);

/// <summary>
/// A SETATTR: each field is changed only when set. <see cref="KillSuidGid"/> is FUSE's
/// FATTR_KILL_SUIDGID (clear setuid, and setgid when group-executable).
/// </summary>
public readonly record struct SetAttrRequest
{
    public uint? Mode { get; init; }
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }
    public ulong? Size { get; init; }
    public TimeChange Atime { get; init; }
    public TimeChange Mtime { get; init; }
    /// <summary>An explicit ctime (FATTR_CTIME); otherwise any change sets ctime to now.</summary>
    public Timespec? Ctime { get; init; }
    public bool KillSuidGid { get; init; }
    /// <summary>
    /// The kernel has already checked who may set these times (a writeback-cache mount with
    /// default_permissions: it turns UTIME_NOW and truncate's time update into explicit times and
    /// flushes its own cached mtime/ctime, from whichever process closes or writes back): the owner
    /// check on explicit atime/mtime is skipped. Every other check still applies.
    /// </summary>
    public bool TimesChecked { get; init; }

    public bool IsEmpty => Mode is null && Uid is null && Gid is null && Size is null
        && Atime.Kind == TimeChangeKind.Omit && Mtime.Kind == TimeChangeKind.Omit && Ctime is null && !KillSuidGid;
}

/// <summary>
/// An inode removed from the namespace in a transaction, with the stripe records deleted with it:
/// once the transaction is durable the data path frees their shard extents.
/// </summary>
public sealed record FreedInode(InodeId Ino, ulong Size, IReadOnlyList<KeyValuePair<StripeIndex, StripeRecord>> Stripes);

/// <summary>statfs-style counts.</summary>
public readonly record struct NamespaceStats(
    ulong Inodes, ulong Directories, ulong Orphans, ulong MaxInodes, ulong NextInode)
{
    public ulong FreeInodes => MaxInodes > Inodes ? MaxInodes - Inodes : 0;
}
