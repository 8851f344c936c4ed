namespace Argos.Fuse;

/// <summary>renameat2(2) flags carried by FUSE_RENAME2 (linux/fs.h RENAME_*).</summary>
[Flags]
public enum FuseRenameFlags : uint
{
    None = 0,
    NoReplace = 1 << 0,
    Exchange = 1 << 1,
    Whiteout = 1 << 2,
}

/// <summary>fuse_write_in.write_flags.</summary>
[Flags]
public enum FuseWriteFlags : uint
{
    None = 0,
    /// <summary>Delayed write from the page cache (writeback cache): the file handle is a guess.</summary>
    Cache = FuseAbi.FUSE_WRITE_CACHE,
    LockOwner = FuseAbi.FUSE_WRITE_LOCKOWNER,
    /// <summary>Clear setuid/setgid as Linux does on write by a caller without CAP_FSETID (HANDLE_KILLPRIV_V2).</summary>
    KillSuidgid = FuseAbi.FUSE_WRITE_KILL_SUIDGID,
}

/// <summary>fuse_release_in.release_flags.</summary>
[Flags]
public enum FuseReleaseFlags : uint
{
    None = 0,
    Flush = FuseAbi.FUSE_RELEASE_FLUSH,
    FlockUnlock = FuseAbi.FUSE_RELEASE_FLOCK_UNLOCK,
}

/// <summary>setxattr(2) flags (XATTR_CREATE, XATTR_REPLACE).</summary>
[Flags]
public enum FuseXattrFlags : uint
{
    None = 0,
    Create = 1,
    Replace = 2,
}

/// <summary>One entry of FORGET/BATCH_FORGET; laid out as struct fuse_forget_one so a batch is read in place.</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
public readonly struct FuseForget
{
    public FuseForget(NodeId node, ulong lookupCount)
    {
        Node = node;
        LookupCount = lookupCount;
    }

    public NodeId Node { get; }
    public ulong LookupCount { get; }
}
