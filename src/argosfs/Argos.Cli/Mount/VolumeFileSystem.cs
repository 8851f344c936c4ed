using System.Collections.Concurrent;
using Argos.Format;
using Argos.Fuse;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Argos.Volume;

namespace Argos.Cli.Mount;

/// <summary>
/// The FUSE adapter: maps the kernel's node-id requests onto the volume. One node id per inode (the
/// inode number; hard links share it), so LINK, RENAME, SETATTR and CREATE replies carry that inode's
/// fresh attributes. Every handler catches its own failure and answers with the errno the volume
/// names (VolumeErrors.ToErrno); anything unexpected is logged by the session's boundary as EIO.
/// </summary>
public sealed partial class VolumeFileSystem(ArgosVolume volume, MountSettings settings) : FuseFileSystem
{
    private static readonly TimeSpan s_rootTimeout = TimeSpan.FromDays(1);
    private readonly ConcurrentDictionary<ulong, OpenFile> _handles = new();
    private long _nextHandle;
    private int _destroyed;

    private sealed record OpenFile(InodeId Ino, int Flags);

    /// <summary>Called once when the session ends (unmount, SIGTERM): everything flushed, clean flag written.</summary>
    public event Action? Destroyed;

    private FsNamespace Ns => volume.Namespace;

    public override void Init(FuseConnectionInfo connection)
    {
        base.Init(connection);
    }

    public override void Destroy()
    {
        if (Interlocked.Exchange(ref _destroyed, 1) != 0) return;
        try
        {
            volume.Close(clean: true);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"argosfs: closing the pool after unmount failed: {e.Message}; the next open replays the journal");
        }
        Destroyed?.Invoke();
    }

    private static Credentials Caller(in FuseContext context) => new(context.Uid, context.Gid);

    /// <summary>
    /// The caller with its supplementary groups, for the checks that depend on them (chown to one of
    /// the caller's groups, keeping setgid on chmod). FUSE requests carry only uid and gid; the groups
    /// come from /proc, so only when the session may read it (not a root daemon: primary group only).
    /// </summary>
    private static Credentials CallerWithGroups(in FuseContext context) =>
        context.TryGetSupplementaryGroups(out var groups) ? new(context.Uid, context.Gid, groups) : Caller(context);

    private TimeSpan TimeoutFor(InodeId ino) => ino == InodeId.Root ? s_rootTimeout : settings.CacheTimeout;

    /// <summary>st_blocks counts the data the volume holds (512-byte units), so holes take none.</summary>
    private FuseAttr ToFuse(in InodeAttributes a) => new()
    {
        Ino = a.Ino.Value,
        Size = a.Size,
        Blocks = (volume.AllocatedBytes(a.Ino, a.Size) + 511) / 512,
        Atime = new FuseTimestamp(a.Atime.Seconds, a.Atime.Nanoseconds),
        Mtime = new FuseTimestamp(a.Mtime.Seconds, a.Mtime.Nanoseconds),
        Ctime = new FuseTimestamp(a.Ctime.Seconds, a.Ctime.Nanoseconds),
        Mode = a.Mode,
        Nlink = a.Nlink,
        Uid = a.Uid,
        Gid = a.Gid,
        Rdev = (uint)a.Rdev,
        BlockSize = 4096,
        Btime = new FuseTimestamp(a.Btime.Seconds, a.Btime.Nanoseconds),
        HasBtime = true,
    };

    private FuseEntry Entry(in InodeAttributes attr)
    {
        var timeout = TimeoutFor(attr.Ino);
        return new FuseEntry
        {
            Node = new NodeId(attr.Ino.Value),
            Generation = attr.Generation,
            Attr = ToFuse(attr),
            EntryTimeout = timeout,
            AttrTimeout = timeout,
        };
    }

    private FuseAttrResult AttrResult(InodeId ino) => new(ToFuse(volume.GetAttr(ino)), TimeoutFor(ino));

    private static InodeId Ino(NodeId node) => new(node.Value);

    private static Errno Fail(Exception e) => VolumeErrors.ToErrno(e);

    public override Errno Lookup(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, out FuseEntry entry)
    {
        try
        {
            if (!Ns.TryLookup(Ino(parent), name, out var attr))
            {
                entry = FuseEntry.Negative(settings.NegativeTimeout);
                return settings.NegativeTimeout > TimeSpan.Zero ? Errno.None : Errno.ENOENT;
            }
            entry = Entry(volume.GetAttr(attr.Ino));
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var errno = Fail(e);
            entry = errno == Errno.ENOENT ? FuseEntry.Negative(settings.NegativeTimeout) : default;
            return errno == Errno.ENOENT && settings.NegativeTimeout > TimeSpan.Zero ? Errno.None : errno;
        }
    }

    public override void Forget(NodeId node, ulong lookupCount)
    {
    }

    public override void BatchForget(ReadOnlySpan<FuseForget> forgets)
    {
    }

    public override Errno GetAttr(in FuseContext context, NodeId node, FileHandle? handle, out FuseAttrResult attr)
    {
        try
        {
            attr = AttrResult(Ino(node));
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            attr = default;
            return Fail(e);
        }
    }

    public override Errno SetAttr(in FuseContext context, NodeId node, in FuseSetAttr changes, out FuseAttrResult attr)
    {
        attr = default;
        try
        {
            var ino = Ino(node);
            var now = FuseTimestamp.Now;
            var request = new SetAttrRequest
            {
                Mode = changes.Has(FuseSetAttrValid.Mode) ? changes.Mode : null,
                Uid = changes.Has(FuseSetAttrValid.Uid) ? changes.Uid : null,
                Gid = changes.Has(FuseSetAttrValid.Gid) ? changes.Gid : null,
                Atime = ToTimeChange(changes, FuseSetAttrValid.Atime, FuseSetAttrValid.AtimeNow, changes.Atime),
                Mtime = ToTimeChange(changes, FuseSetAttrValid.Mtime, FuseSetAttrValid.MtimeNow, changes.Mtime),
                Ctime = changes.Has(FuseSetAttrValid.Ctime) ? new Timespec(changes.Ctime.Seconds, changes.Ctime.Nanoseconds) : null,
                KillSuidGid = changes.Has(FuseSetAttrValid.KillSuidgid),
                TimesChecked = settings.WritebackCache,
            };
            var caller = changes.Has(FuseSetAttrValid.Gid) || changes.Has(FuseSetAttrValid.Mode) ? CallerWithGroups(context) : Caller(context);
            if (changes.Has(FuseSetAttrValid.Size))
            {
                volume.Truncate(ino, changes.Size, caller, request);
            }
            else if (!request.IsEmpty)
            {
                volume.Flush(ino);
                volume.Mutate(tx => Ns.SetAttr(tx, ino, request, caller));
            }
            attr = AttrResult(ino);
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    private static TimeChange ToTimeChange(in FuseSetAttr changes, FuseSetAttrValid field, FuseSetAttrValid now, FuseTimestamp value)
    {
        if (!changes.Has(field)) return TimeChange.Omit;
        if (changes.Has(now)) return TimeChange.Now;
        return TimeChange.At(new Timespec(value.Seconds, value.Nanoseconds));
    }

    public override Errno ReadLink(in FuseContext context, NodeId node, Span<byte> target, out int length)
    {
        length = 0;
        try
        {
            var bytes = Ns.Readlink(Ino(node)).Span;
            if (bytes.Length > target.Length) return Errno.ENAMETOOLONG;
            bytes.CopyTo(target);
            length = bytes.Length;
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    private Errno Make(out FuseEntry entry, Func<NamespaceTransaction, InodeAttributes> op)
    {
        try
        {
            // The reply carries the volume's view (buffered writes count): a LINK of a file still being
            // written, or of an O_TMPFILE, must not tell the kernel the size it had at its last flush.
            var attr = volume.Mutate(op);
            entry = Entry(volume.GetAttr(attr.Ino));
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            entry = default;
            return Fail(e);
        }
    }

    public override Errno Symlink(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, out FuseEntry entry)
    {
        var p = Ino(parent);
        var n = name.ToArray();
        var t = target.ToArray();
        var caller = Caller(context);
        return Make(out entry, tx => Ns.Symlink(tx, p, n, t, caller));
    }

    public override Errno Mknod(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, out FuseEntry entry)
    {
        var p = Ino(parent);
        var n = name.ToArray();
        var caller = Caller(context);
        return Make(out entry, tx => Ns.Mknod(tx, p, n, mode, rdev, caller, umask));
    }

    public override Errno Mkdir(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint umask, out FuseEntry entry)
    {
        var p = Ino(parent);
        var n = name.ToArray();
        var caller = Caller(context);
        return Make(out entry, tx => Ns.Mkdir(tx, p, n, mode, caller, umask));
    }

    public override Errno Unlink(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name)
    {
        var p = Ino(parent);
        var n = name.ToArray();
        return Run(() => volume.Mutate(tx => Ns.Unlink(tx, p, n)));
    }

    public override Errno Rmdir(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name)
    {
        var p = Ino(parent);
        var n = name.ToArray();
        return Run(() => volume.Mutate(tx => Ns.Rmdir(tx, p, n)));
    }

    public override Errno Rename(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, NodeId newParent, ReadOnlySpan<byte> newName, FuseRenameFlags flags)
    {
        var p = Ino(parent);
        var np = Ino(newParent);
        var n = name.ToArray();
        var nn = newName.ToArray();
        var f = (RenameFlags)(uint)flags;
        return Run(() => volume.Mutate(tx => Ns.Rename(tx, p, n, np, nn, f)));
    }

    public override Errno Link(in FuseContext context, NodeId node, NodeId newParent, ReadOnlySpan<byte> newName, out FuseEntry entry)
    {
        var ino = Ino(node);
        var np = Ino(newParent);
        var nn = newName.ToArray();
        return Make(out entry, tx => Ns.Link(tx, ino, np, nn));
    }

    private static Errno Run(Action action)
    {
        try
        {
            action();
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }
}

/// <summary>Mount-time choices the adapter needs.</summary>
public sealed record MountSettings
{
    public TimeSpan CacheTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan NegativeTimeout { get; init; } = TimeSpan.Zero;
    public bool ReadOnly { get; init; }
    /// <summary>relatime (the default) when true; noatime when false. Only reads that reach the daemon
    /// count: pages the kernel already caches are read without asking it (the kernel drops its cached
    /// atime after each read, so stat sees the update).</summary>
    public bool Atime { get; init; } = true;
    /// <summary>
    /// FUSE_WRITEBACK_CACHE (with default_permissions, which the mount command requires for it): the
    /// kernel owns cached mtime/ctime and size and has checked time changes itself (see
    /// SetAttrRequest.TimesChecked); SEEK_DATA/SEEK_HOLE are left to the kernel, which would otherwise
    /// ask about data it has not written back yet.
    /// </summary>
    public bool WritebackCache { get; init; }
}
