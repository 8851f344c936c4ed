using Argos.Format;
using Argos.Fuse;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Argos.Volume;

namespace Argos.Cli.Mount;

/// <summary>Open files, data, directories, xattrs and statfs.</summary>
public sealed partial class VolumeFileSystem
{
    private const int O_ACCMODE = 3;
    private const int O_RDONLY = 0;
    private const int O_TRUNC = 0x200;
    private const int FALLOC_FL_KEEP_SIZE = 0x01;
    private const int FALLOC_FL_PUNCH_HOLE = 0x02;
    private const int FALLOC_FL_ZERO_RANGE = 0x10;
    private const int SEEK_DATA = 3;
    private const int SEEK_HOLE = 4;

    /// <summary>
    /// Every open file keeps its page cache across opens (the daemon is the only writer) and asks for
    /// no FLUSH at close: a file's data is stored at RELEASE, which the kernel sends without making
    /// close(2) wait, and a full pool is reported by the WRITE itself (space is reserved when a write
    /// is accepted, ArgosVolume.Reservation.cs), as ext4's delayed allocation does. A FLUSH still
    /// stores the file on kernels that send one (before 5.16).
    /// </summary>
    private const FuseOpenFlags OpenFlags = FuseOpenFlags.KeepCache | FuseOpenFlags.NoFlush;

    /// <param name="pinned">The namespace already counts this open (O_TMPFILE inodes are born pinned once).</param>
    private FileHandle NewHandle(InodeId ino, int flags, bool pinned = false)
    {
        var handle = (ulong)Interlocked.Increment(ref _nextHandle);
        _handles[handle] = new OpenFile(ino, flags);
        if (!pinned) Ns.PinOpen(ino);
        return new FileHandle(handle);
    }

    public override Errno Open(in FuseContext context, NodeId node, in FuseOpenRequest request, out FuseOpenResult result)
    {
        result = default;
        try
        {
            var ino = Ino(node);
            var attr = Ns.GetAttr(ino);
            if (attr.IsDirectory) return Errno.EISDIR;
            var writing = (request.Flags & O_ACCMODE) != O_RDONLY;
            if (writing && settings.ReadOnly) return Errno.EROFS;
            if (writing && (request.Flags & O_TRUNC) != 0 && attr.Size != 0)
            {
                volume.Truncate(ino, 0, Caller(context));
            }
            result = new FuseOpenResult(NewHandle(ino, request.Flags), OpenFlags);
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    public override Errno Create(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, in FuseOpenRequest request, out FuseEntry entry, out FuseOpenResult result)
    {
        result = default;
        var p = Ino(parent);
        var n = name.ToArray();
        var caller = Caller(context);
        var mode = request.Mode;
        var umask = request.Umask;
        var errno = Make(out entry, tx => Ns.Create(tx, p, n, mode, caller, umask));
        if (errno != Errno.None) return errno;
        result = new FuseOpenResult(NewHandle(new InodeId(entry.Node.Value), request.Flags), OpenFlags);
        return Errno.None;
    }

    public override Errno Tmpfile(in FuseContext context, NodeId parent, in FuseOpenRequest request, out FuseEntry entry, out FuseOpenResult result)
    {
        result = default;
        var p = Ino(parent);
        var caller = Caller(context);
        var mode = request.Mode;
        var umask = request.Umask;
        var errno = Make(out entry, tx => Ns.Tmpfile(tx, p, mode, caller, umask));
        if (errno != Errno.None) return errno;
        // Pinning again would leave the count at 1 after the last close: the inode would stay an orphan
        // until the next open of the pool.
        result = new FuseOpenResult(NewHandle(new InodeId(entry.Node.Value), request.Flags, pinned: true), FuseOpenFlags.NoFlush);
        return Errno.None;
    }

    public override Errno Read(in FuseContext context, NodeId node, FileHandle handle, ulong offset, Span<byte> destination, out int bytesRead)
    {
        bytesRead = 0;
        try
        {
            bytesRead = volume.Read(Ino(node), offset, destination, context.WillBlockCallback);
            if (settings.Atime)
            {
                volume.NoteAccess(Ino(node));
            }
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    public override Errno Write(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ReadOnlySpan<byte> data, FuseWriteFlags flags, int openFlags, out int bytesWritten)
    {
        bytesWritten = 0;
        try
        {
            volume.Write(Ino(node), offset, data, Caller(context), context.WillBlockCallback);
            bytesWritten = data.Length;
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    public override Errno Flush(in FuseContext context, NodeId node, FileHandle handle, ulong lockOwner)
    {
        if (settings.ReadOnly) return Errno.None;
        var willBlock = context.WillBlockCallback;
        return Run(() => volume.Flush(Ino(node), beforeMemberIo: willBlock));
    }

    public override Errno Release(in FuseContext context, NodeId node, FileHandle handle, int openFlags, FuseReleaseFlags flags, ulong lockOwner)
    {
        if (!_handles.TryRemove(handle.Value, out var open)) return Errno.None;
        var willBlock = context.WillBlockCallback;
        return Run(() =>
        {
            if (!settings.ReadOnly) volume.Flush(open.Ino, beforeMemberIo: willBlock);
            if (Ns.UnpinOpen(open.Ino) && !settings.ReadOnly)
            {
                // The last close of an unlinked file: its inode and data go now.
                volume.Mutate(tx => Ns.Reclaim(tx, open.Ino));
            }
        });
    }

    public override Errno Fsync(in FuseContext context, NodeId node, FileHandle handle, bool dataOnly) =>
        settings.ReadOnly ? Errno.None : Run(() => volume.Flush(Ino(node), durable: true));

    public override Errno FsyncDir(in FuseContext context, NodeId node, FileHandle handle, bool dataOnly) =>
        settings.ReadOnly ? Errno.None : Run(volume.Sync);

    public override Errno SyncFs(in FuseContext context, NodeId node) =>
        settings.ReadOnly ? Errno.None : Run(volume.Sync);

    public override Errno StatFs(in FuseContext context, NodeId node, out FuseStatFs stat)
    {
        stat = default;
        try
        {
            var info = volume.Info;
            const uint blockSize = 4096;
            // Usable bytes: what the members hold, times k/(k+m) for parity.
            var online = info.Members.Where(m => m.State == Metadata.Log.PoolMemberState.Online).ToList();
            var data = (ulong)online.Sum(m => Math.Max(0, m.DataBytes));
            // Less what buffered writes hold (they are promised room on the members; ArgosVolume.Reservation.cs).
            var held = volume.ReservedBytesPerMember;
            var free = (ulong)online.Sum(m => Math.Max(0, m.FreeBytes - held));
            var share = (double)info.K / (info.K + info.M);
            var ns = Ns.Stats();
            stat = new FuseStatFs
            {
                BlockSize = blockSize,
                FragmentSize = blockSize,
                Blocks = (ulong)(data * share) / blockSize,
                BlocksFree = (ulong)(free * share) / blockSize,
                // f_bavail: less the room kept for metadata checkpoints, as ext4 keeps root's blocks out of it.
                BlocksAvailable = (ulong)(volume.AvailableBytes() * share) / blockSize,
                Files = ns.Inodes + ns.FreeInodes,
                FilesFree = ns.FreeInodes,
                NameMax = FsNamespace.NameMaxBytes,
            };
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    public override Errno SetXattr(in FuseContext context, NodeId node, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, FuseXattrFlags flags, bool aclKillSgid)
    {
        var ino = Ino(node);
        var n = name.ToArray();
        var v = value.ToArray();
        var f = (XattrFlags)(uint)flags;
        var caller = Caller(context);
        return Run(() =>
        {
            volume.Flush(ino);
            volume.Mutate(tx => Ns.SetXattr(tx, ino, n, v, f, caller));
        });
    }

    public override Errno GetXattr(in FuseContext context, NodeId node, ReadOnlySpan<byte> name, Span<byte> destination, out int valueLength)
    {
        valueLength = 0;
        try
        {
            if (!Ns.TryGetXattr(Ino(node), name, Caller(context), out var found)) return Errno.ENODATA;
            var value = found.Span;
            if (value.Length > destination.Length) return Errno.E2BIG;
            value.CopyTo(destination);
            valueLength = value.Length;
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    public override Errno ListXattr(in FuseContext context, NodeId node, Span<byte> destination, out int listLength)
    {
        listLength = 0;
        try
        {
            var total = 0;
            foreach (var name in Ns.ListXattr(Ino(node), Caller(context)))
            {
                if (total + name.Length + 1 > destination.Length) return Errno.E2BIG;
                name.Span.CopyTo(destination[total..]);
                total += name.Length;
                destination[total++] = 0;
            }
            listLength = total;
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    public override Errno RemoveXattr(in FuseContext context, NodeId node, ReadOnlySpan<byte> name)
    {
        var ino = Ino(node);
        var n = name.ToArray();
        var caller = Caller(context);
        return Run(() => volume.Mutate(tx => Ns.RemoveXattr(tx, ino, n, caller)));
    }

    public override Errno OpenDir(in FuseContext context, NodeId node, int flags, out FuseOpenResult result)
    {
        result = default;
        try
        {
            if (!Ns.GetAttr(Ino(node)).IsDirectory) return Errno.ENOTDIR;
            result = new FuseOpenResult(new FileHandle(0), FuseOpenFlags.KeepCache | FuseOpenFlags.CacheDir);
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    public override Errno ReadDir(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ref FuseDirectoryWriter writer)
    {
        try
        {
            if (offset == 0 && settings.Atime)
            {
                volume.NoteAccess(Ino(node)); // relatime: a listing from the start reads the directory
            }
            var entries = new List<DirEntry>(64);
            var cookie = offset;
            while (true)
            {
                entries.Clear();
                if (Ns.ReadDirectory(Ino(node), cookie, 64, entries) == 0) return Errno.None;
                foreach (var e in entries)
                {
                    if (!writer.TryAdd(e.Ino.Value, e.Name.Span, (uint)e.Type << 12, e.Cookie)) return Errno.None;
                    cookie = e.Cookie;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    public override Errno ReadDirPlus(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ref FuseDirectoryPlusWriter writer)
    {
        try
        {
            if (offset == 0 && settings.Atime)
            {
                volume.NoteAccess(Ino(node)); // relatime: a listing from the start reads the directory
            }
            var entries = new List<DirEntryPlus>(64);
            var cookie = offset;
            while (true)
            {
                entries.Clear();
                if (Ns.ReadDirectoryPlus(Ino(node), cookie, 64, entries) == 0) return Errno.None;
                foreach (var e in entries)
                {
                    var name = e.Entry.Name.Span;
                    var isDot = name.SequenceEqual("."u8) || name.SequenceEqual(".."u8);
                    var entry = isDot ? new FuseEntry { Attr = ToFuse(e.Attributes) } : Entry(volume.GetAttr(e.Entry.Ino));
                    if (!writer.TryAdd(entry, name, e.Entry.Cookie)) return Errno.None;
                    cookie = e.Entry.Cookie;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    public override Errno Access(in FuseContext context, NodeId node, int mask)
    {
        try
        {
            return Ns.CheckAccess(Ino(node), (AccessMode)(uint)mask, Caller(context)) ? Errno.None : Errno.EACCES;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    /// <summary>
    /// fallocate(2). Argos does not preallocate (space is reserved when data is written): mode 0 only extends
    /// the size (a hole), KEEP_SIZE does nothing. PUNCH_HOLE (with KEEP_SIZE, as Linux requires) and
    /// ZERO_RANGE make the range read zeros and release the stripes it covers (ArgosVolume.Holes.cs).
    /// COLLAPSE_RANGE, INSERT_RANGE, UNSHARE_RANGE and the rest: EOPNOTSUPP.
    /// </summary>
    public override Errno Fallocate(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ulong length, int mode)
    {
        var ino = Ino(node);
        var caller = Caller(context);
        var supported = mode is 0 or FALLOC_FL_KEEP_SIZE or (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
            or FALLOC_FL_ZERO_RANGE or (FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE);
        if (!supported) return Errno.EOPNOTSUPP;
        // The kernel checks both before it asks; an in-process session does not.
        if (_handles.TryGetValue(handle.Value, out var open) && (open.Flags & O_ACCMODE) == O_RDONLY) return Errno.EBADF;
        if (settings.ReadOnly) return Errno.EROFS;
        if (mode == FALLOC_FL_KEEP_SIZE) return Errno.None;
        return Run(() =>
        {
            if ((mode & FALLOC_FL_PUNCH_HOLE) != 0)
            {
                volume.PunchHole(ino, offset, length, caller);
            }
            else if ((mode & FALLOC_FL_ZERO_RANGE) != 0)
            {
                volume.ZeroRange(ino, offset, length, keepSize: (mode & FALLOC_FL_KEEP_SIZE) != 0, caller);
            }
            else
            {
                var end = offset + length;
                if (end > volume.GetAttr(ino).Size) volume.Truncate(ino, end, caller);
            }
        });
    }

    public override Errno Lseek(in FuseContext context, NodeId node, FileHandle handle, ulong offset, int whence, out ulong resultOffset)
    {
        resultOffset = 0;
        if (whence is not (SEEK_DATA or SEEK_HOLE)) return Errno.EINVAL;
        // Under a writeback cache the kernel asks without writing its dirty pages back first: an answer
        // from here could call written data a hole. ENOSYS makes it answer itself from its own size
        // (all data up to EOF, one hole at EOF), which is never wrong.
        if (settings.WritebackCache) return Errno.ENOSYS;
        try
        {
            resultOffset = volume.Seek(Ino(node), offset, data: whence == SEEK_DATA);
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }

    public override Errno CopyFileRange(in FuseContext context, NodeId nodeIn, FileHandle handleIn, ulong offsetIn,
        NodeId nodeOut, FileHandle handleOut, ulong offsetOut, ulong length, ulong flags, out ulong copied)
    {
        copied = 0;
        if (flags != 0) return Errno.EINVAL;
        try
        {
            var buffer = new byte[Math.Min(length, 1UL << 20)];
            var caller = Caller(context);
            while (copied < length)
            {
                var want = (int)Math.Min((ulong)buffer.Length, length - copied);
                var n = volume.Read(Ino(nodeIn), offsetIn + copied, buffer.AsSpan(0, want));
                if (n == 0) break;
                volume.Write(Ino(nodeOut), offsetOut + copied, buffer.AsSpan(0, n), caller);
                copied += (ulong)n;
            }
            return Errno.None;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e);
        }
    }
}
