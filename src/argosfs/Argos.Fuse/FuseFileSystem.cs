using Argos.Platform;

namespace Argos.Fuse;

/// <summary>
/// The low-level, node-id based filesystem a <see cref="FuseSession"/> serves. Override what the filesystem
/// supports; every method left alone answers ENOSYS (logged once per opcode), which the kernel remembers
/// for the operations where that means "not supported, stop asking" (FLUSH, FSYNC, ACCESS, CREATE, XATTR…).
/// </summary>
/// <remarks>
/// <para>Return <see cref="Errno.None"/> with the out values filled, or an errno. Throwing
/// <see cref="FuseErrnoException"/> also answers with its errno; any other exception is a bug: the session
/// logs opcode, node id and unique id and answers EIO.</para>
/// <para>Methods run concurrently on several worker threads (one per cloned /dev/fuse fd) with no global lock;
/// the filesystem synchronises itself.</para>
/// <para>Names are the raw bytes the kernel sent (no NUL, never "/"; Linux names need not be UTF-8), at most
/// 255 bytes only if the filesystem checks it: the kernel passes longer names through.</para>
/// <para>Lookup references: every successful reply carrying a <see cref="FuseEntry"/> with a non-zero node
/// (LOOKUP, MKNOD, MKDIR, SYMLINK, LINK, CREATE, TMPFILE, READDIRPLUS entries) gives the kernel one
/// reference to that node; <see cref="Forget"/> returns them. A node id must stay valid until its count
/// drops to zero, even after unlink.</para>
/// </remarks>
public abstract class FuseFileSystem
{
    /// <summary>Called once with the kernel's offer before INIT is answered; adjust <see cref="FuseConnectionInfo.Want"/> here.</summary>
    public virtual void Init(FuseConnectionInfo connection)
    {
    }

    /// <summary>
    /// Called exactly once when the session ends: on FUSE_DESTROY (fuseblk, and before umount returns), on the
    /// device reporting ENODEV (unmounted, connection aborted), or on <see cref="FuseSession.Abort"/>.
    /// Flush everything and mark the volume clean here.
    /// </summary>
    public virtual void Destroy()
    {
    }

    public virtual Errno Lookup(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, out FuseEntry entry)
    {
        entry = default;
        return Errno.ENOSYS;
    }

    /// <summary>The kernel drops <paramref name="lookupCount"/> references to <paramref name="node"/>. No reply is sent.</summary>
    public virtual void Forget(NodeId node, ulong lookupCount)
    {
    }

    public virtual void BatchForget(ReadOnlySpan<FuseForget> forgets)
    {
        foreach (var forget in forgets)
        {
            Forget(forget.Node, forget.LookupCount);
        }
    }

    /// <param name="handle">The open file's handle when the kernel sent one (fstat on an open file, FUSE_GETATTR_FH).</param>
    public virtual Errno GetAttr(in FuseContext context, NodeId node, FileHandle? handle, out FuseAttrResult attr)
    {
        attr = default;
        return Errno.ENOSYS;
    }

    /// <summary>chmod, chown, truncate, utimensat. Answer with the attributes after the change.</summary>
    public virtual Errno SetAttr(in FuseContext context, NodeId node, in FuseSetAttr changes, out FuseAttrResult attr)
    {
        attr = default;
        return Errno.ENOSYS;
    }

    /// <summary>Writes the link target into <paramref name="target"/> (4096 bytes, PATH_MAX) and its length into <paramref name="length"/>.</summary>
    public virtual Errno ReadLink(in FuseContext context, NodeId node, Span<byte> target, out int length)
    {
        length = 0;
        return Errno.ENOSYS;
    }

    public virtual Errno Symlink(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, out FuseEntry entry)
    {
        entry = default;
        return Errno.ENOSYS;
    }

    /// <param name="umask">Not yet applied when FUSE_POSIX_ACL or FUSE_DONT_MASK is negotiated (see <see cref="FuseOpenRequest.Umask"/>).</param>
    public virtual Errno Mknod(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, out FuseEntry entry)
    {
        entry = default;
        return Errno.ENOSYS;
    }

    /// <param name="mode">Permission bits only (the kernel does not add S_IFDIR).</param>
    public virtual Errno Mkdir(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint umask, out FuseEntry entry)
    {
        entry = default;
        return Errno.ENOSYS;
    }

    public virtual Errno Unlink(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name) => Errno.ENOSYS;

    public virtual Errno Rmdir(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name) => Errno.ENOSYS;

    /// <summary>FUSE_RENAME (flags 0) and FUSE_RENAME2 (RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT).</summary>
    public virtual Errno Rename(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, NodeId newParent, ReadOnlySpan<byte> newName, FuseRenameFlags flags)
        => Errno.ENOSYS;

    /// <summary>Hard link: answer with the SAME node id as <paramref name="node"/> and fresh attributes (nlink+1).</summary>
    public virtual Errno Link(in FuseContext context, NodeId node, NodeId newParent, ReadOnlySpan<byte> newName, out FuseEntry entry)
    {
        entry = default;
        return Errno.ENOSYS;
    }

    public virtual Errno Open(in FuseContext context, NodeId node, in FuseOpenRequest request, out FuseOpenResult result)
    {
        result = default;
        return Errno.ENOSYS;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> (the requested size) from <paramref name="offset"/>. A short read
    /// means end of file (unless the file was opened with <see cref="FuseOpenFlags.DirectIo"/>).
    /// </summary>
    public virtual Errno Read(in FuseContext context, NodeId node, FileHandle handle, ulong offset, Span<byte> destination, out int bytesRead)
    {
        bytesRead = 0;
        return Errno.ENOSYS;
    }

    /// <param name="openFlags">The open(2) flags of the file description (O_APPEND, O_SYNC, O_DSYNC…).</param>
    public virtual Errno Write(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ReadOnlySpan<byte> data, FuseWriteFlags flags, int openFlags, out int bytesWritten)
    {
        bytesWritten = 0;
        return Errno.ENOSYS;
    }

    public virtual Errno StatFs(in FuseContext context, NodeId node, out FuseStatFs stat)
    {
        stat = default;
        return Errno.ENOSYS;
    }

    /// <summary>Last close of an open file description. The reply's errno is ignored by the kernel.</summary>
    public virtual Errno Release(in FuseContext context, NodeId node, FileHandle handle, int openFlags, FuseReleaseFlags flags, ulong lockOwner)
        => Errno.None;

    /// <summary>fsync/fdatasync: return only when the data (and, unless <paramref name="dataOnly"/>, the metadata) is durable.</summary>
    public virtual Errno Fsync(in FuseContext context, NodeId node, FileHandle handle, bool dataOnly) => Errno.ENOSYS;

    /// <param name="aclKillSgid">FUSE_SETXATTR_ACL_KILL_SGID: clear setgid when setting system.posix_acl_access.</param>
    public virtual Errno SetXattr(in FuseContext context, NodeId node, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, FuseXattrFlags flags, bool aclKillSgid)
        => Errno.ENOSYS;

    /// <summary>
    /// Writes the whole value into <paramref name="destination"/> (64 KiB, XATTR_SIZE_MAX) and its length into
    /// <paramref name="valueLength"/>. The session implements the size query (size 0) and ERANGE itself.
    /// ENODATA when the attribute does not exist.
    /// </summary>
    public virtual Errno GetXattr(in FuseContext context, NodeId node, ReadOnlySpan<byte> name, Span<byte> destination, out int valueLength)
    {
        valueLength = 0;
        return Errno.ENOSYS;
    }

    /// <summary>Writes every name, each followed by NUL, into <paramref name="destination"/> (64 KiB); size query and ERANGE as for GetXattr.</summary>
    public virtual Errno ListXattr(in FuseContext context, NodeId node, Span<byte> destination, out int listLength)
    {
        listLength = 0;
        return Errno.ENOSYS;
    }

    public virtual Errno RemoveXattr(in FuseContext context, NodeId node, ReadOnlySpan<byte> name) => Errno.ENOSYS;

    /// <summary>close(2) of one fd (there may be several per open file description).</summary>
    public virtual Errno Flush(in FuseContext context, NodeId node, FileHandle handle, ulong lockOwner) => Errno.ENOSYS;

    /// <summary>Default: succeed with handle 0 (stateless directories).</summary>
    public virtual Errno OpenDir(in FuseContext context, NodeId node, int flags, out FuseOpenResult result)
    {
        result = default;
        return Errno.None;
    }

    /// <summary>
    /// Adds entries starting after cookie <paramref name="offset"/> (0 = from the start) until
    /// <see cref="FuseDirectoryWriter.TryAdd"/> returns false or the directory ends. An empty reply means end.
    /// </summary>
    public virtual Errno ReadDir(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ref FuseDirectoryWriter writer)
        => Errno.ENOSYS;

    /// <summary>As <see cref="ReadDir"/> with full entries; see <see cref="FuseDirectoryPlusWriter"/> for the lookup references it gives.</summary>
    public virtual Errno ReadDirPlus(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ref FuseDirectoryPlusWriter writer)
        => Errno.ENOSYS;

    public virtual Errno ReleaseDir(in FuseContext context, NodeId node, FileHandle handle, int flags) => Errno.None;

    public virtual Errno FsyncDir(in FuseContext context, NodeId node, FileHandle handle, bool dataOnly) => Errno.ENOSYS;

    /// <summary>access(2)/chdir checks. With default_permissions the kernel checks mode bits itself and rarely asks.</summary>
    public virtual Errno Access(in FuseContext context, NodeId node, int mask) => Errno.ENOSYS;

    /// <summary>Atomic create+open. ENOSYS makes the kernel fall back to MKNOD + OPEN for good.</summary>
    public virtual Errno Create(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, in FuseOpenRequest request, out FuseEntry entry, out FuseOpenResult result)
    {
        entry = default;
        result = default;
        return Errno.ENOSYS;
    }

    /// <summary>O_TMPFILE (FUSE_TMPFILE, 7.37): an unnamed regular file in <paramref name="parent"/> with nlink 0, opened.</summary>
    public virtual Errno Tmpfile(in FuseContext context, NodeId parent, in FuseOpenRequest request, out FuseEntry entry, out FuseOpenResult result)
    {
        entry = default;
        result = default;
        return Errno.ENOSYS;
    }

    /// <param name="mode">fallocate(2) mode: 0, FALLOC_FL_KEEP_SIZE (1), FALLOC_FL_PUNCH_HOLE (2, with KEEP_SIZE), FALLOC_FL_ZERO_RANGE (0x10). EOPNOTSUPP for the rest.</param>
    public virtual Errno Fallocate(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ulong length, int mode)
        => Errno.ENOSYS;

    /// <summary>SEEK_DATA (3) / SEEK_HOLE (4); ENXIO past the end. (SEEK_SET/CUR/END never reach the daemon.)</summary>
    public virtual Errno Lseek(in FuseContext context, NodeId node, FileHandle handle, ulong offset, int whence, out ulong resultOffset)
    {
        resultOffset = 0;
        return Errno.ENOSYS;
    }

    public virtual Errno CopyFileRange(in FuseContext context, NodeId nodeIn, FileHandle handleIn, ulong offsetIn,
        NodeId nodeOut, FileHandle handleOut, ulong offsetOut, ulong length, ulong flags, out ulong bytesCopied)
    {
        bytesCopied = 0;
        return Errno.ENOSYS;
    }

    /// <summary>syncfs(2) (FUSE_SYNCFS, 7.34).</summary>
    public virtual Errno SyncFs(in FuseContext context, NodeId node) => Errno.ENOSYS;
}
