using System.Runtime.InteropServices;
using Argos.Platform;

namespace Argos.Fuse;

// One handler per opcode: parse with FuseRequestReader (malformed → EINVAL), call the filesystem, reply.
// Opcodes without an entry (GETLK/SETLK/SETLKW: the kernel then does local locking because FUSE_POSIX_LOCKS
// is never requested; IOCTL, POLL, BMAP, SETUPMAPPING, REMOVEMAPPING) answer ENOSYS, logged once; so does STATX when the
// filesystem keeps no birth times (the kernel then stops asking and uses GETATTR).
public sealed partial class FuseSession
{
    private Handler?[] BuildHandlerTable()
    {
        var table = new Handler?[(int)fuse_opcode.FUSE_COPY_FILE_RANGE_64 + 1];
        table[(int)fuse_opcode.FUSE_LOOKUP] = OnLookup;
        table[(int)fuse_opcode.FUSE_FORGET] = OnForget;
        table[(int)fuse_opcode.FUSE_GETATTR] = OnGetAttr;
        table[(int)fuse_opcode.FUSE_SETATTR] = OnSetAttr;
        table[(int)fuse_opcode.FUSE_READLINK] = OnReadLink;
        table[(int)fuse_opcode.FUSE_SYMLINK] = OnSymlink;
        table[(int)fuse_opcode.FUSE_MKNOD] = OnMknod;
        table[(int)fuse_opcode.FUSE_MKDIR] = OnMkdir;
        table[(int)fuse_opcode.FUSE_UNLINK] = OnUnlink;
        table[(int)fuse_opcode.FUSE_RMDIR] = OnRmdir;
        table[(int)fuse_opcode.FUSE_RENAME] = OnRename;
        table[(int)fuse_opcode.FUSE_LINK] = OnLink;
        table[(int)fuse_opcode.FUSE_OPEN] = OnOpen;
        table[(int)fuse_opcode.FUSE_READ] = OnRead;
        table[(int)fuse_opcode.FUSE_WRITE] = OnWrite;
        table[(int)fuse_opcode.FUSE_STATFS] = OnStatFs;
        table[(int)fuse_opcode.FUSE_RELEASE] = OnRelease;
        table[(int)fuse_opcode.FUSE_FSYNC] = OnFsync;
        table[(int)fuse_opcode.FUSE_SETXATTR] = OnSetXattr;
        table[(int)fuse_opcode.FUSE_GETXATTR] = OnGetXattr;
        table[(int)fuse_opcode.FUSE_LISTXATTR] = OnListXattr;
        table[(int)fuse_opcode.FUSE_REMOVEXATTR] = OnRemoveXattr;
        table[(int)fuse_opcode.FUSE_FLUSH] = OnFlush;
        table[(int)fuse_opcode.FUSE_OPENDIR] = OnOpenDir;
        table[(int)fuse_opcode.FUSE_READDIR] = OnReadDir;
        table[(int)fuse_opcode.FUSE_RELEASEDIR] = OnReleaseDir;
        table[(int)fuse_opcode.FUSE_FSYNCDIR] = OnFsyncDir;
        table[(int)fuse_opcode.FUSE_ACCESS] = OnAccess;
        table[(int)fuse_opcode.FUSE_CREATE] = OnCreate;
        table[(int)fuse_opcode.FUSE_INTERRUPT] = OnInterrupt;
        table[(int)fuse_opcode.FUSE_DESTROY] = OnDestroy;
        table[(int)fuse_opcode.FUSE_NOTIFY_REPLY] = OnNotifyReply;
        table[(int)fuse_opcode.FUSE_BATCH_FORGET] = OnBatchForget;
        table[(int)fuse_opcode.FUSE_FALLOCATE] = OnFallocate;
        table[(int)fuse_opcode.FUSE_READDIRPLUS] = OnReadDirPlus;
        table[(int)fuse_opcode.FUSE_RENAME2] = OnRename2;
        table[(int)fuse_opcode.FUSE_LSEEK] = OnLseek;
        table[(int)fuse_opcode.FUSE_COPY_FILE_RANGE] = OnCopyFileRange;
        table[(int)fuse_opcode.FUSE_SYNCFS] = OnSyncFs;
        table[(int)fuse_opcode.FUSE_TMPFILE] = OnTmpfile;
        table[(int)fuse_opcode.FUSE_COPY_FILE_RANGE_64] = OnCopyFileRange;
        table[(int)fuse_opcode.FUSE_STATX] = OnStatx;
        return table;
    }

    private FuseContext Context(FuseWorker worker, in fuse_in_header header)
        => new(in header, worker, _options.AllowProcLookups);

    private static NodeId Node(in fuse_in_header header) => new(header.nodeid);

    // ---- replies carrying entries and attributes ----

    private void ReplyEntry(FuseWorker worker, in fuse_in_header header, in FuseEntry entry, int extraPayload = 0)
    {
        var raw = default(fuse_entry_out);
        entry.WriteTo(ref raw);
        ApplyRootTimeout(entry.Node, ref raw.entry_valid, ref raw.entry_valid_nsec);
        ApplyRootTimeout(entry.Node, ref raw.attr_valid, ref raw.attr_valid_nsec);
        MemoryMarshal.Write(worker.Payload, in raw);
        Send(worker, header.unique, 0, _entryOutSize + extraPayload);
    }

    /// <summary>Replies to an operation that created a name: the entry must name a node.</summary>
    private void ReplyNewEntry(FuseWorker worker, in fuse_in_header header, Errno errno, in FuseEntry entry)
    {
        if (errno != Errno.None)
        {
            Complete(worker, in header, errno);
            return;
        }

        if (entry.Node.Value == 0)
        {
            _log($"argosfs: fuse: {OpcodeName((fuse_opcode)header.opcode)} nodeid={header.nodeid} unique={header.unique}: the filesystem answered success with node 0: answering EIO");
            SendError(worker, header.unique, Errno.EIO);
            return;
        }

        ReplyEntry(worker, in header, in entry);
    }

    /// <summary>fuse_attr_out, or fuse_statx_out for STATX (ENOSYS when the filesystem keeps no birth times).</summary>
    private void ReplyAttr(FuseWorker worker, in fuse_in_header header, Errno errno, in FuseAttrResult result, bool statx = false)
    {
        if (errno != Errno.None || (statx && !result.Attr.HasBtime))
        {
            if (errno == Errno.None) ReplyEnosys(worker, in header);
            else Complete(worker, in header, errno);
            return;
        }

        FuseTimeouts.Split(result.Timeout, out var seconds, out var nanoseconds);
        ApplyRootTimeout(Node(in header), ref seconds, ref nanoseconds);
        if (statx)
        {
            var sx = new fuse_statx_out { attr_valid = seconds, attr_valid_nsec = nanoseconds };
            result.Attr.WriteTo(ref sx.stat);
            MemoryMarshal.Write(worker.Payload, in sx);
            Send(worker, header.unique, 0, Marshal.SizeOf<fuse_statx_out>());
            return;
        }

        var raw = new fuse_attr_out { attr_valid = seconds, attr_valid_nsec = nanoseconds };
        result.Attr.WriteTo(ref raw.attr);
        MemoryMarshal.Write(worker.Payload, in raw);
        Send(worker, header.unique, 0, _attrOutSize);
    }

    private void ApplyRootTimeout(NodeId node, ref ulong seconds, ref uint nanoseconds)
    {
        if (!node.IsRoot || _options.RootTimeout is not { } minimum)
        {
            return;
        }

        FuseTimeouts.Split(minimum, out ulong minSeconds, out uint minNanoseconds);
        if (seconds < minSeconds || (seconds == minSeconds && nanoseconds < minNanoseconds))
        {
            seconds = minSeconds;
            nanoseconds = minNanoseconds;
        }
    }

    private void ReplyOpen(FuseWorker worker, in fuse_in_header header, Errno errno, in FuseOpenResult result)
    {
        if (errno != Errno.None)
        {
            Complete(worker, in header, errno);
            return;
        }

        var raw = new fuse_open_out { fh = result.Handle.Value, open_flags = (uint)result.Flags };
        ReplyStruct(worker, in header, in raw, sizeof(ulong) * 2);
    }

    // ---- names ----

    private void OnLookup(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryReadName(out var name))
        {
            Malformed(worker, in header, "name without NUL");
            return;
        }

        var errno = _fs.Lookup(Context(worker, in header), Node(in header), name, out var entry);
        if (errno != Errno.None)
        {
            Complete(worker, in header, errno);
            return;
        }

        // Node 0 is a negative entry: "no such name", cached for EntryTimeout.
        ReplyEntry(worker, in header, in entry);
    }

    private void OnForget(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        worker.Replied = true; // never answered
        if (!reader.TryRead(out fuse_forget_in forget))
        {
            _log($"argosfs: fuse: FUSE_FORGET nodeid={header.nodeid} unique={header.unique}: short fuse_forget_in: ignored");
            return;
        }

        _fs.Forget(Node(in header), forget.nlookup);
    }

    private void OnBatchForget(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        worker.Replied = true; // never answered
        if (!reader.TryRead(out fuse_batch_forget_in batch) || !reader.TryReadArray<FuseForget>(batch.count, out var forgets))
        {
            _log($"argosfs: fuse: FUSE_BATCH_FORGET unique={header.unique}: count does not match the payload: ignored");
            return;
        }

        _fs.BatchForget(forgets);
    }

    private void OnGetAttr(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        FileHandle? handle = null;
        if (_protocolMinor >= 9)
        {
            if (!reader.TryRead(out fuse_getattr_in getattr))
            {
                Malformed(worker, in header, "short fuse_getattr_in");
                return;
            }

            if ((getattr.getattr_flags & FuseAbi.FUSE_GETATTR_FH) != 0)
            {
                handle = new FileHandle(getattr.fh);
            }
        }

        var errno = _fs.GetAttr(Context(worker, in header), Node(in header), handle, out var attr);
        ReplyAttr(worker, in header, errno, in attr);
    }

    /// <summary>
    /// FUSE_STATX (7.39): the kernel asks for it when statx(2) wants more than the basic stats; argosfs
    /// adds the birth time. The attributes come from GETATTR's source, so the two never disagree.
    /// </summary>
    private void OnStatx(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_statx_in statx))
        {
            Malformed(worker, in header, "short fuse_statx_in");
            return;
        }

        FileHandle? handle = (statx.getattr_flags & FuseAbi.FUSE_GETATTR_FH) != 0 ? new FileHandle(statx.fh) : null;
        var errno = _fs.GetAttr(Context(worker, in header), Node(in header), handle, out var result);
        ReplyAttr(worker, in header, errno, in result, statx: true);
    }

    private void OnSetAttr(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_setattr_in raw))
        {
            Malformed(worker, in header, "short fuse_setattr_in");
            return;
        }

        var changes = new FuseSetAttr(in raw);
        var errno = _fs.SetAttr(Context(worker, in header), Node(in header), in changes, out var attr);
        ReplyAttr(worker, in header, errno, in attr);
    }

    private void OnReadLink(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        var target = worker.Payload[..PathMax];
        var errno = _fs.ReadLink(Context(worker, in header), Node(in header), target, out int length);
        if (errno == Errno.None && (length <= 0 || length > target.Length))
        {
            _log($"argosfs: fuse: FUSE_READLINK nodeid={header.nodeid} unique={header.unique}: target length {length} is outside 1..{PathMax}: answering EIO");
            errno = Errno.EIO;
        }

        Complete(worker, in header, errno, length);
    }

    private void OnSymlink(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryReadName(out var name) || !reader.TryReadName(out var target))
        {
            Malformed(worker, in header, "name and target must both be NUL-terminated");
            return;
        }

        var errno = _fs.Symlink(Context(worker, in header), Node(in header), name, target, out var entry);
        ReplyNewEntry(worker, in header, errno, in entry);
    }

    private void OnMknod(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        int wire = _protocolMinor >= 12 ? 16 : FuseAbi.FUSE_COMPAT_MKNOD_IN_SIZE;
        if (!reader.TryRead(wire, out fuse_mknod_in mknod) || !reader.TryReadName(out var name))
        {
            Malformed(worker, in header, "short fuse_mknod_in or name");
            return;
        }

        var errno = _fs.Mknod(Context(worker, in header), Node(in header), name, mknod.mode, mknod.rdev, mknod.umask, out var entry);
        ReplyNewEntry(worker, in header, errno, in entry);
    }

    private void OnMkdir(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_mkdir_in mkdir) || !reader.TryReadName(out var name))
        {
            Malformed(worker, in header, "short fuse_mkdir_in or name");
            return;
        }

        var errno = _fs.Mkdir(Context(worker, in header), Node(in header), name, mkdir.mode, mkdir.umask, out var entry);
        ReplyNewEntry(worker, in header, errno, in entry);
    }

    private void OnUnlink(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryReadName(out var name))
        {
            Malformed(worker, in header, "name without NUL");
            return;
        }

        Complete(worker, in header, _fs.Unlink(Context(worker, in header), Node(in header), name));
    }

    private void OnRmdir(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryReadName(out var name))
        {
            Malformed(worker, in header, "name without NUL");
            return;
        }

        Complete(worker, in header, _fs.Rmdir(Context(worker, in header), Node(in header), name));
    }

    private void OnRename(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_rename_in rename) || !reader.TryReadName(out var name) || !reader.TryReadName(out var newName))
        {
            Malformed(worker, in header, "short fuse_rename_in or names");
            return;
        }

        Complete(worker, in header, _fs.Rename(Context(worker, in header), Node(in header), name, new NodeId(rename.newdir), newName, FuseRenameFlags.None));
    }

    private void OnRename2(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_rename2_in rename) || !reader.TryReadName(out var name) || !reader.TryReadName(out var newName))
        {
            Malformed(worker, in header, "short fuse_rename2_in or names");
            return;
        }

        Complete(worker, in header, _fs.Rename(Context(worker, in header), Node(in header), name, new NodeId(rename.newdir), newName, (FuseRenameFlags)rename.flags));
    }

    private void OnLink(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_link_in link) || !reader.TryReadName(out var newName))
        {
            Malformed(worker, in header, "short fuse_link_in or name");
            return;
        }

        var errno = _fs.Link(Context(worker, in header), new NodeId(link.oldnodeid), Node(in header), newName, out var entry);
        ReplyNewEntry(worker, in header, errno, in entry);
    }

    // ---- files ----

    private void OnOpen(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_open_in open))
        {
            Malformed(worker, in header, "short fuse_open_in");
            return;
        }

        var request = new FuseOpenRequest((int)open.flags, 0, 0, (open.open_flags & FuseAbi.FUSE_OPEN_KILL_SUIDGID) != 0);
        var errno = _fs.Open(Context(worker, in header), Node(in header), in request, out var result);
        ReplyOpen(worker, in header, errno, in result);
    }

    private void OnCreate(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        int wire = _protocolMinor >= 12 ? 16 : 8; // before 7.12 CREATE carried a fuse_open_in-sized (flags, mode)
        if (!reader.TryRead(wire, out fuse_create_in create) || !reader.TryReadName(out var name))
        {
            Malformed(worker, in header, "short fuse_create_in or name");
            return;
        }

        var request = new FuseOpenRequest((int)create.flags, create.mode, create.umask, (create.open_flags & FuseAbi.FUSE_OPEN_KILL_SUIDGID) != 0);
        var errno = _fs.Create(Context(worker, in header), Node(in header), name, in request, out var entry, out var result);
        ReplyCreated(worker, in header, errno, in entry, in result);
    }

    private void OnTmpfile(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        // fuse_create_in followed by the placeholder name the VFS gives the unnamed dentry ("/"): ignored.
        if (!reader.TryRead(out fuse_create_in create))
        {
            Malformed(worker, in header, "short fuse_create_in");
            return;
        }

        var request = new FuseOpenRequest((int)create.flags, create.mode, create.umask, (create.open_flags & FuseAbi.FUSE_OPEN_KILL_SUIDGID) != 0);
        var errno = _fs.Tmpfile(Context(worker, in header), Node(in header), in request, out var entry, out var result);
        ReplyCreated(worker, in header, errno, in entry, in result);
    }

    private void ReplyCreated(FuseWorker worker, in fuse_in_header header, Errno errno, in FuseEntry entry, in FuseOpenResult result)
    {
        if (errno == Errno.None && entry.Node.Value == 0)
        {
            _log($"argosfs: fuse: {OpcodeName((fuse_opcode)header.opcode)} nodeid={header.nodeid} unique={header.unique}: the filesystem answered success with node 0: answering EIO");
            errno = Errno.EIO;
        }

        if (errno != Errno.None)
        {
            Complete(worker, in header, errno);
            return;
        }

        // fuse_entry_out then fuse_open_out.
        var open = new fuse_open_out { fh = result.Handle.Value, open_flags = (uint)result.Flags };
        MemoryMarshal.Write(worker.Payload[_entryOutSize..], in open);
        ReplyEntry(worker, in header, in entry, extraPayload: 16);
    }

    private void OnRead(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        int wire = _protocolMinor >= 9 ? 40 : 24;
        if (!reader.TryRead(wire, out fuse_read_in read))
        {
            Malformed(worker, in header, "short fuse_read_in");
            return;
        }

        if (read.size > worker.Payload.Length)
        {
            // A short answer would read as end of file: refuse instead.
            _log($"argosfs: fuse: FUSE_READ nodeid={header.nodeid} unique={header.unique}: {read.size} bytes exceed the {worker.Payload.Length}-byte reply buffer: answering EIO");
            SendError(worker, header.unique, Errno.EIO);
            return;
        }

        var destination = worker.Payload[..(int)read.size];
        var errno = _fs.Read(Context(worker, in header), Node(in header), new FileHandle(read.fh), read.offset, destination, out int bytesRead);
        if (errno == Errno.None && (uint)bytesRead > read.size)
        {
            _log($"argosfs: fuse: FUSE_READ nodeid={header.nodeid} unique={header.unique}: the filesystem reported {bytesRead} bytes for a {read.size}-byte read: answering EIO");
            errno = Errno.EIO;
        }

        Complete(worker, in header, errno, bytesRead);
    }

    private void OnWrite(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        int wire = _protocolMinor >= 9 ? 40 : FuseAbi.FUSE_COMPAT_WRITE_IN_SIZE;
        if (!reader.TryRead(wire, out fuse_write_in write) || !reader.TryReadBytes((int)Math.Min(write.size, int.MaxValue), out var data))
        {
            Malformed(worker, in header, "short fuse_write_in or data shorter than its size");
            return;
        }

        var errno = _fs.Write(Context(worker, in header), Node(in header), new FileHandle(write.fh), write.offset, data,
            (FuseWriteFlags)write.write_flags, (int)write.flags, out int written);
        if (errno == Errno.None && (uint)written > write.size)
        {
            _log($"argosfs: fuse: FUSE_WRITE nodeid={header.nodeid} unique={header.unique}: the filesystem reported {written} bytes for a {write.size}-byte write: answering EIO");
            errno = Errno.EIO;
        }

        if (errno != Errno.None)
        {
            Complete(worker, in header, errno);
            return;
        }

        var reply = new fuse_write_out { size = (uint)written };
        ReplyStruct(worker, in header, in reply, 8);
    }

    private void OnStatFs(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        var errno = _fs.StatFs(Context(worker, in header), Node(in header), out var stat);
        if (errno != Errno.None)
        {
            Complete(worker, in header, errno);
            return;
        }

        var raw = new fuse_statfs_out
        {
            st = new fuse_kstatfs
            {
                blocks = stat.Blocks,
                bfree = stat.BlocksFree,
                bavail = stat.BlocksAvailable,
                files = stat.Files,
                ffree = stat.FilesFree,
                bsize = stat.BlockSize,
                namelen = stat.NameMax,
                frsize = stat.FragmentSize,
            },
        };
        ReplyStruct(worker, in header, in raw, _statfsOutSize);
    }

    private void OnRelease(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_release_in release))
        {
            Malformed(worker, in header, "short fuse_release_in");
            return;
        }

        Complete(worker, in header, _fs.Release(Context(worker, in header), Node(in header), new FileHandle(release.fh),
            (int)release.flags, (FuseReleaseFlags)release.release_flags, release.lock_owner));
    }

    private void OnFsync(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_fsync_in fsync))
        {
            Malformed(worker, in header, "short fuse_fsync_in");
            return;
        }

        Complete(worker, in header, _fs.Fsync(Context(worker, in header), Node(in header), new FileHandle(fsync.fh),
            (fsync.fsync_flags & FuseAbi.FUSE_FSYNC_FDATASYNC) != 0));
    }

    private void OnFlush(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_flush_in flush))
        {
            Malformed(worker, in header, "short fuse_flush_in");
            return;
        }

        Complete(worker, in header, _fs.Flush(Context(worker, in header), Node(in header), new FileHandle(flush.fh), flush.lock_owner));
    }

    private void OnFallocate(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_fallocate_in fallocate))
        {
            Malformed(worker, in header, "short fuse_fallocate_in");
            return;
        }

        Complete(worker, in header, _fs.Fallocate(Context(worker, in header), Node(in header), new FileHandle(fallocate.fh),
            fallocate.offset, fallocate.length, (int)fallocate.mode));
    }

    private void OnLseek(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_lseek_in lseek))
        {
            Malformed(worker, in header, "short fuse_lseek_in");
            return;
        }

        var errno = _fs.Lseek(Context(worker, in header), Node(in header), new FileHandle(lseek.fh), lseek.offset, (int)lseek.whence, out ulong offset);
        if (errno != Errno.None)
        {
            Complete(worker, in header, errno);
            return;
        }

        var reply = new fuse_lseek_out { offset = offset };
        ReplyStruct(worker, in header, in reply, 8);
    }

    private void OnCopyFileRange(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_copy_file_range_in copy))
        {
            Malformed(worker, in header, "short fuse_copy_file_range_in");
            return;
        }

        bool wide = header.opcode == (uint)fuse_opcode.FUSE_COPY_FILE_RANGE_64;
        var errno = _fs.CopyFileRange(Context(worker, in header), Node(in header), new FileHandle(copy.fh_in), copy.off_in,
            new NodeId(copy.nodeid_out), new FileHandle(copy.fh_out), copy.off_out, copy.len, copy.flags, out ulong copied);
        if (errno == Errno.None && (copied > copy.len || (!wide && copied > uint.MaxValue)))
        {
            _log($"argosfs: fuse: {OpcodeName((fuse_opcode)header.opcode)} nodeid={header.nodeid} unique={header.unique}: the filesystem reported {copied} bytes for a {copy.len}-byte copy: answering EIO");
            errno = Errno.EIO;
        }

        if (errno != Errno.None)
        {
            Complete(worker, in header, errno);
            return;
        }

        if (wide)
        {
            var reply64 = new fuse_copy_file_range_out { bytes_copied = copied };
            ReplyStruct(worker, in header, in reply64, 8);
        }
        else
        {
            var reply = new fuse_write_out { size = (uint)copied };
            ReplyStruct(worker, in header, in reply, 8);
        }
    }

    // ---- xattrs: the session answers the size query (size 0) and ERANGE; filesystems just produce bytes ----

    private void OnSetXattr(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        int wire = _setxattrExt ? 16 : FuseAbi.FUSE_COMPAT_SETXATTR_IN_SIZE;
        if (!reader.TryRead(wire, out fuse_setxattr_in setxattr) || !reader.TryReadName(out var name)
            || !reader.TryReadBytes((int)Math.Min(setxattr.size, int.MaxValue), out var value))
        {
            Malformed(worker, in header, "short fuse_setxattr_in, name or value");
            return;
        }

        Complete(worker, in header, _fs.SetXattr(Context(worker, in header), Node(in header), name, value,
            (FuseXattrFlags)setxattr.flags, (setxattr.setxattr_flags & FuseAbi.FUSE_SETXATTR_ACL_KILL_SGID) != 0));
    }

    private void OnGetXattr(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_getxattr_in getxattr) || !reader.TryReadName(out var name))
        {
            Malformed(worker, in header, "short fuse_getxattr_in or name");
            return;
        }

        var destination = worker.Payload[..XattrSizeMax];
        var errno = _fs.GetXattr(Context(worker, in header), Node(in header), name, destination, out int length);
        ReplyXattrBytes(worker, in header, errno, getxattr.size, length);
    }

    private void OnListXattr(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_getxattr_in getxattr))
        {
            Malformed(worker, in header, "short fuse_getxattr_in");
            return;
        }

        var destination = worker.Payload[..XattrSizeMax];
        var errno = _fs.ListXattr(Context(worker, in header), Node(in header), destination, out int length);
        ReplyXattrBytes(worker, in header, errno, getxattr.size, length);
    }

    private void ReplyXattrBytes(FuseWorker worker, in fuse_in_header header, Errno errno, uint requestedSize, int length)
    {
        if (errno == Errno.None && (length < 0 || length > XattrSizeMax))
        {
            _log($"argosfs: fuse: {OpcodeName((fuse_opcode)header.opcode)} nodeid={header.nodeid} unique={header.unique}: the filesystem reported {length} bytes (limit {XattrSizeMax}): answering EIO");
            errno = Errno.EIO;
        }

        if (errno != Errno.None)
        {
            Complete(worker, in header, errno);
            return;
        }

        if (requestedSize == 0)
        {
            var reply = new fuse_getxattr_out { size = (uint)length };
            ReplyStruct(worker, in header, in reply, 8);
        }
        else if ((uint)length > requestedSize)
        {
            SendError(worker, header.unique, Errno.ERANGE);
        }
        else
        {
            Send(worker, header.unique, 0, length); // the bytes are already at the start of the payload
        }
    }

    private void OnRemoveXattr(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryReadName(out var name))
        {
            Malformed(worker, in header, "name without NUL");
            return;
        }

        Complete(worker, in header, _fs.RemoveXattr(Context(worker, in header), Node(in header), name));
    }

    // ---- directories ----

    private void OnOpenDir(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_open_in open))
        {
            Malformed(worker, in header, "short fuse_open_in");
            return;
        }

        var errno = _fs.OpenDir(Context(worker, in header), Node(in header), (int)open.flags, out var result);
        ReplyOpen(worker, in header, errno, in result);
    }

    private void OnReadDir(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        int wire = _protocolMinor >= 9 ? 40 : 24;
        if (!reader.TryRead(wire, out fuse_read_in read))
        {
            Malformed(worker, in header, "short fuse_read_in");
            return;
        }

        var writer = new FuseDirectoryWriter(worker.Payload[..(int)Math.Min(read.size, (uint)worker.Payload.Length)]);
        var errno = _fs.ReadDir(Context(worker, in header), Node(in header), new FileHandle(read.fh), read.offset, ref writer);
        Complete(worker, in header, errno, writer.BytesWritten);
    }

    private void OnReadDirPlus(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_read_in read))
        {
            Malformed(worker, in header, "short fuse_read_in");
            return;
        }

        var writer = new FuseDirectoryPlusWriter(worker.Payload[..(int)Math.Min(read.size, (uint)worker.Payload.Length)]);
        var errno = _fs.ReadDirPlus(Context(worker, in header), Node(in header), new FileHandle(read.fh), read.offset, ref writer);
        Complete(worker, in header, errno, writer.BytesWritten);
    }

    private void OnReleaseDir(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_release_in release))
        {
            Malformed(worker, in header, "short fuse_release_in");
            return;
        }

        Complete(worker, in header, _fs.ReleaseDir(Context(worker, in header), Node(in header), new FileHandle(release.fh), (int)release.flags));
    }

    private void OnFsyncDir(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_fsync_in fsync))
        {
            Malformed(worker, in header, "short fuse_fsync_in");
            return;
        }

        Complete(worker, in header, _fs.FsyncDir(Context(worker, in header), Node(in header), new FileHandle(fsync.fh),
            (fsync.fsync_flags & FuseAbi.FUSE_FSYNC_FDATASYNC) != 0));
    }

    private void OnAccess(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (!reader.TryRead(out fuse_access_in access))
        {
            Malformed(worker, in header, "short fuse_access_in");
            return;
        }

        Complete(worker, in header, _fs.Access(Context(worker, in header), Node(in header), (int)access.mask));
    }

    private void OnSyncFs(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        Complete(worker, in header, _fs.SyncFs(Context(worker, in header), Node(in header)));
    }

    // ---- session control ----

    /// <summary>
    /// FUSE_INTERRUPT names a request in progress. Handlers run synchronously, so the session marks the
    /// request (<see cref="FuseContext.IsInterrupted"/>) and lets the filesystem decide to answer EINTR; a
    /// request not found has already been answered, or is about to be: the interrupt is dropped (the kernel
    /// still waits for the original answer, which always comes). An INTERRUPT itself is never answered.
    /// </summary>
    private void OnInterrupt(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        worker.Replied = true;
        if (!reader.TryRead(out fuse_interrupt_in interrupt))
        {
            _log($"argosfs: fuse: FUSE_INTERRUPT unique={header.unique}: short fuse_interrupt_in: ignored");
            return;
        }

        foreach (var other in Volatile.Read(ref _workers))
        {
            if (other.TryInterrupt(interrupt.unique))
            {
                return;
            }
        }
    }

    private void OnDestroy(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        // Flush before answering: umount of a fuseblk mount waits for this reply.
        InvokeDestroyOnce();
        Send(worker, header.unique, 0, 0);
    }

    private void OnNotifyReply(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        worker.Replied = true; // data for a NOTIFY_RETRIEVE we never send: nothing to answer
    }
}
