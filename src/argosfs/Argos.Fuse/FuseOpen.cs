namespace Argos.Fuse;

/// <summary>What OPEN, CREATE and TMPFILE ask for.</summary>
public readonly struct FuseOpenRequest
{
    public FuseOpenRequest(int flags, uint mode, uint umask, bool killSuidgid)
    {
        Flags = flags;
        Mode = mode;
        Umask = umask;
        KillSuidgid = killSuidgid;
    }

    /// <summary>open(2) flags (O_ACCMODE, O_TRUNC when FUSE_ATOMIC_O_TRUNC is negotiated, O_APPEND, O_EXCL…).</summary>
    public int Flags { get; }

    /// <summary>CREATE/TMPFILE only: the requested mode, type bits included.</summary>
    public uint Mode { get; }

    /// <summary>
    /// CREATE/TMPFILE only: the caller's umask. With FUSE_POSIX_ACL or FUSE_DONT_MASK negotiated the kernel has
    /// NOT applied it: the filesystem applies the parent's default ACL, or else the umask.
    /// </summary>
    public uint Umask { get; }

    /// <summary>FUSE_OPEN_KILL_SUIDGID (7.33, HANDLE_KILLPRIV_V2): clear setuid/setgid as part of this open (O_TRUNC by a non-owner).</summary>
    public bool KillSuidgid { get; }

    public int AccessMode => Flags & 3;
}

/// <summary>The answer to OPEN/OPENDIR/CREATE (struct fuse_open_out).</summary>
public struct FuseOpenResult
{
    public FileHandle Handle;
    public FuseOpenFlags Flags;

    public FuseOpenResult(FileHandle handle, FuseOpenFlags flags = FuseOpenFlags.None)
    {
        Handle = handle;
        Flags = flags;
    }
}

/// <summary>FOPEN_* flags of fuse_open_out.open_flags.</summary>
[Flags]
public enum FuseOpenFlags : uint
{
    None = 0,
    DirectIo = FuseAbi.FOPEN_DIRECT_IO,
    KeepCache = FuseAbi.FOPEN_KEEP_CACHE,
    NonSeekable = FuseAbi.FOPEN_NONSEEKABLE,
    CacheDir = FuseAbi.FOPEN_CACHE_DIR,
    Stream = FuseAbi.FOPEN_STREAM,
    NoFlush = FuseAbi.FOPEN_NOFLUSH,
    ParallelDirectWrites = FuseAbi.FOPEN_PARALLEL_DIRECT_WRITES,
}
