namespace Argos.Fuse;

/// <summary>fuse_setattr_in.valid: which fields of a SETATTR apply.</summary>
[Flags]
public enum FuseSetAttrValid : uint
{
    None = 0,
    Mode = FuseAbi.FATTR_MODE,
    Uid = FuseAbi.FATTR_UID,
    Gid = FuseAbi.FATTR_GID,
    Size = FuseAbi.FATTR_SIZE,
    Atime = FuseAbi.FATTR_ATIME,
    Mtime = FuseAbi.FATTR_MTIME,
    Handle = FuseAbi.FATTR_FH,
    /// <summary>With <see cref="Atime"/>: set atime to the current time (UTIME_NOW); the value fields are meaningless.</summary>
    AtimeNow = FuseAbi.FATTR_ATIME_NOW,
    /// <summary>With <see cref="Mtime"/>: set mtime to the current time (UTIME_NOW).</summary>
    MtimeNow = FuseAbi.FATTR_MTIME_NOW,
    LockOwner = FuseAbi.FATTR_LOCKOWNER,
    Ctime = FuseAbi.FATTR_CTIME,
    /// <summary>7.33 (HANDLE_KILLPRIV_V2): clear setuid/setgid as part of this change (truncate/chown by a non-owner).</summary>
    KillSuidgid = FuseAbi.FATTR_KILL_SUIDGID,
}

/// <summary>
/// A SETATTR request (struct fuse_setattr_in). Only the fields named in <see cref="Valid"/> mean anything.
/// UTIME_OMIT arrives as the absence of <see cref="FuseSetAttrValid.Atime"/>/<see cref="FuseSetAttrValid.Mtime"/>.
/// </summary>
public readonly struct FuseSetAttr
{
    internal FuseSetAttr(in fuse_setattr_in raw)
    {
        Valid = (FuseSetAttrValid)raw.valid;
        Handle = (raw.valid & FuseAbi.FATTR_FH) != 0 ? new FileHandle(raw.fh) : null;
        Size = raw.size;
        LockOwner = raw.lock_owner;
        Atime = new FuseTimestamp((long)raw.atime, raw.atimensec);
        Mtime = new FuseTimestamp((long)raw.mtime, raw.mtimensec);
        Ctime = new FuseTimestamp((long)raw.ctime, raw.ctimensec);
        Mode = raw.mode;
        Uid = raw.uid;
        Gid = raw.gid;
    }

    public FuseSetAttr(FuseSetAttrValid valid, uint mode = 0, uint uid = 0, uint gid = 0, ulong size = 0,
        FuseTimestamp atime = default, FuseTimestamp mtime = default, FuseTimestamp ctime = default, FileHandle? handle = null)
    {
        Valid = valid;
        Mode = mode;
        Uid = uid;
        Gid = gid;
        Size = size;
        Atime = atime;
        Mtime = mtime;
        Ctime = ctime;
        Handle = handle;
    }

    public FuseSetAttrValid Valid { get; }
    public FileHandle? Handle { get; }
    public ulong Size { get; }
    public ulong LockOwner { get; }
    public FuseTimestamp Atime { get; }
    public FuseTimestamp Mtime { get; }
    public FuseTimestamp Ctime { get; }
    public uint Mode { get; }
    public uint Uid { get; }
    public uint Gid { get; }

    public bool Has(FuseSetAttrValid field) => (Valid & field) == field;

    /// <summary>The atime to store, or null to leave it: applies UTIME_NOW with <paramref name="now"/>.</summary>
    public FuseTimestamp? ResolveAtime(FuseTimestamp now)
        => !Has(FuseSetAttrValid.Atime) ? null : Has(FuseSetAttrValid.AtimeNow) ? now : Atime;

    /// <summary>The mtime to store, or null to leave it: applies UTIME_NOW with <paramref name="now"/>.</summary>
    public FuseTimestamp? ResolveMtime(FuseTimestamp now)
        => !Has(FuseSetAttrValid.Mtime) ? null : Has(FuseSetAttrValid.MtimeNow) ? now : Mtime;
}
