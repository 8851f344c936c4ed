using Argos.Format;
using Argos.Platform;

namespace Argos.Metadata.Namespace;

/// <summary>
/// Attribute changes (notify_change / setattr_prepare semantics):
/// - chmod: owner or root (EPERM); a non-root caller outside the file's group loses S_ISGID;
///   an access ACL follows the new mode (posix_acl_chmod);
/// - chown: root; or the owner keeping the uid and choosing a group it belongs to (EPERM). On a
///   non-directory it clears S_ISUID, and S_ISGID when group-executable, whoever the caller
///   (Linux does this for root too), unless the same request sets the mode; it also drops
///   security.capability (cap_inode_killpriv);
/// - truncate: regular files only (EISDIR / EINVAL); a size change sets mtime and ctime;
/// - times: UTIME_OMIT leaves a time, UTIME_NOW needs owner, root or write access (EACCES),
///   an explicit time needs owner or root (EPERM);
/// - any change sets ctime to now unless the request carries an explicit ctime.
/// </summary>
public sealed partial class FsNamespace
{
    private static readonly byte[] s_securityCapability = "security.capability"u8.ToArray();

    public InodeAttributes SetAttr(NamespaceTransaction tx, InodeId ino, in SetAttrRequest request, in Credentials caller)
    {
        BeginMutation(tx);
        try
        {
            InodeNode node = Node(ino.Value);
            if (request.IsEmpty)
            {
                SealMutation(tx);
                return node.ToAttributes();
            }
            bool isOwner = caller.IsRoot || caller.Uid == node.Uid;

            // Validate.
            if (request.Size is ulong size)
            {
                if (node.IsDirectory)
                {
                    ThrowHelper.Fail(Errno.EISDIR, $"cannot truncate inode {ino}: it is a directory");
                }
                if (!PosixMode.IsRegular(node.Mode))
                {
                    ThrowHelper.Fail(Errno.EINVAL, $"cannot truncate inode {ino}: only regular files have a size to set");
                }
                if (size > long.MaxValue)
                {
                    ThrowHelper.Fail(Errno.EFBIG, $"size {size} exceeds the largest file size ({long.MaxValue})");
                }
            }
            if (request.Mode is not null && !isOwner)
            {
                ThrowHelper.Fail(Errno.EPERM, $"chmod of inode {ino}: only its owner (uid {node.Uid}) or root may change its mode");
            }
            if ((request.Uid is not null || request.Gid is not null) && !caller.IsRoot)
            {
                bool uidOk = request.Uid is null || (request.Uid == node.Uid && caller.Uid == node.Uid);
                bool gidOk = request.Gid is null || (caller.Uid == node.Uid && (request.Gid == node.Gid || caller.InGroup(request.Gid.Value)));
                if (!uidOk || !gidOk)
                {
                    ThrowHelper.Fail(Errno.EPERM, $"chown of inode {ino}: only root may give a file away; the owner may only choose one of its own groups");
                }
            }
            foreach (TimeChange change in (ReadOnlySpan<TimeChange>)[request.Atime, request.Mtime])
            {
                if (change.Kind == TimeChangeKind.Set)
                {
                    if (!change.Value.IsValid)
                    {
                        ThrowHelper.Fail(Errno.EINVAL, $"timestamp nanoseconds {change.Value.Nanoseconds} out of range (0..999999999)");
                    }
                    if (!isOwner && !request.TimesChecked)
                    {
                        ThrowHelper.Fail(Errno.EPERM, $"setting explicit times on inode {ino} needs its owner or root");
                    }
                }
                else if (change.Kind == TimeChangeKind.Now && !isOwner && !request.TimesChecked && !Permits(node, 2, caller))
                {
                    ThrowHelper.Fail(Errno.EACCES, $"setting times to now on inode {ino} needs its owner, root or write permission");
                }
            }
            if (request.Ctime is Timespec ct && !ct.IsValid)
            {
                ThrowHelper.Fail(Errno.EINVAL, $"ctime nanoseconds {ct.Nanoseconds} out of range");
            }

            // Mutate.
            Timespec now = Now();
            TouchInode(tx, node.Ino);
            bool isDir = node.IsDirectory;
            if (request.Size is ulong newSize)
            {
                if (newSize != node.Size)
                {
                    node.Mtime = now;
                }
                node.Size = newSize;
                if (node.Data is not null && (ulong)node.Data.Length > newSize)
                {
                    node.Data = newSize == 0 ? null : node.Data.AsSpan(0, (int)newSize).ToArray();
                }
            }
            if (request.Uid is not null || request.Gid is not null)
            {
                node.Uid = request.Uid ?? node.Uid;
                node.Gid = request.Gid ?? node.Gid;
                if (!isDir && request.Mode is null)
                {
                    node.Mode = KillSuidSgid(node.Mode);
                }
                RemoveXattrIfPresent(tx, node.Ino, s_securityCapability);
            }
            if (request.Mode is uint mode)
            {
                uint newMode = (node.Mode & PosixMode.S_IFMT) | (mode & PosixMode.PermissionMask);
                if (!caller.IsRoot && !caller.InGroup(node.Gid))
                {
                    newMode &= ~PosixMode.S_ISGID;
                }
                node.Mode = newMode;
                ChmodAccessAcl(tx, node);
            }
            if (request.KillSuidGid && !isDir)
            {
                node.Mode = KillSuidSgidOnWrite(node.Mode, node.Gid, caller);
            }
            ApplyTime(request.Atime, now, t => node.Atime = t);
            ApplyTime(request.Mtime, now, t => node.Mtime = t);
            node.Ctime = request.Ctime ?? now;
            SealMutation(tx);
            return node.ToAttributes();
        }
        catch
        {
            AbortMutation(tx);
            throw;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Relatime without a transaction (as lazytime does): sets atime in memory only (ctime stays), and the caller logs
    /// the inode later with <see cref="LogInodes"/> (a batch at the next group commit). False when the
    /// inode is gone. The namespace version is not moved: the change is one field of one node, never
    /// the shape of a table, so a checkpoint enumerating meanwhile stays valid (it writes either atime;
    /// the later LogInodes names the inode again).
    /// </summary>
    public bool SetAtimeUnlogged(InodeId ino, Timespec atime)
    {
        _lock.EnterWriteLock(); // not inside another mutation's before- and after-image
        try
        {
            if (!_inodes.TryGetValue(ino.Value, out InodeNode? node))
            {
                return false;
            }
            node.Atime = atime;
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Puts the current record of each inode in <paramref name="inodes"/> that still exists (one op each;
    /// a removed inode was deleted by its own transaction and is skipped): what makes the atimes set
    /// by <see cref="SetAtimeUnlogged"/> durable. O(inodes).
    /// </summary>
    public void LogInodes(NamespaceTransaction tx, IEnumerable<ulong> inodes)
    {
        BeginMutation(tx);
        try
        {
            foreach (ulong ino in inodes)
            {
                if (_inodes.ContainsKey(ino)) TouchInode(tx, ino);
            }
            SealMutation(tx);
        }
        catch
        {
            AbortMutation(tx);
            throw;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// After the data path wrote to a regular file: sets its size, mtime and ctime, and removes
    /// privileges as file_remove_privs() does: S_ISUID (and S_ISGID when group-executable) for a
    /// caller without CAP_FSETID, security.capability for every caller.
    /// </summary>
    public InodeAttributes RecordWrite(NamespaceTransaction tx, InodeId ino, ulong newSize, in Credentials caller)
    {
        BeginMutation(tx);
        try
        {
            InodeNode node = Node(ino.Value);
            if (!PosixMode.IsRegular(node.Mode))
            {
                ThrowHelper.Fail(Errno.EINVAL, $"inode {ino} is not a regular file; only regular files hold data");
            }
            Timespec now = Now();
            TouchInode(tx, node.Ino);
            node.Size = newSize;
            node.Mtime = now;
            node.Ctime = now;
            if (!caller.IsRoot)
            {
                node.Mode = KillSuidSgidOnWrite(node.Mode, node.Gid, caller);
            }
            RemoveXattrIfPresent(tx, node.Ino, s_securityCapability);
            SealMutation(tx);
            return node.ToAttributes();
        }
        catch
        {
            AbortMutation(tx);
            throw;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Replaces the inline data of a regular file (≤ <see cref="InlineDataMaxBytes"/>; empty clears it). Size and times are the caller's (see <see cref="RecordWrite"/>).</summary>
    public void SetInlineData(NamespaceTransaction tx, InodeId ino, ReadOnlySpan<byte> data)
    {
        BeginMutation(tx);
        try
        {
            InodeNode node = Node(ino.Value);
            if (!PosixMode.IsRegular(node.Mode))
            {
                ThrowHelper.Fail(Errno.EINVAL, $"inode {ino} is not a regular file; only regular files have inline data");
            }
            if (data.Length > InlineDataMaxBytes)
            {
                ThrowHelper.Fail(Errno.EFBIG, $"inline data of {data.Length} bytes exceeds {InlineDataMaxBytes}; store it in stripes");
            }
            TouchInode(tx, node.Ino);
            node.Data = data.Length == 0 ? null : data.ToArray();
            SealMutation(tx);
        }
        catch
        {
            AbortMutation(tx);
            throw;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Sets the FS_IOC_SETFLAGS bits (bit 31 is reserved to Argos and kept).</summary>
    public InodeAttributes SetFlags(NamespaceTransaction tx, InodeId ino, uint flags)
    {
        BeginMutation(tx);
        try
        {
            InodeNode node = Node(ino.Value);
            TouchInode(tx, node.Ino);
            node.Flags = (flags & ~InodeFlags.Tmpfile) | (node.Flags & InodeFlags.Tmpfile);
            node.Ctime = Now();
            SealMutation(tx);
            return node.ToAttributes();
        }
        catch
        {
            AbortMutation(tx);
            throw;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// A write or truncate without CAP_FSETID (file_remove_privs, setattr_should_drop_sgid since Linux 6.2):
    /// setuid goes; setgid goes when group-executable or when the writer is not in the file's group.
    /// </summary>
    private static uint KillSuidSgidOnWrite(uint mode, uint gid, in Credentials caller)
    {
        mode = KillSuidSgid(mode);
        if (!caller.InGroup(gid))
        {
            mode &= ~PosixMode.S_ISGID;
        }
        return mode;
    }

    private static uint KillSuidSgid(uint mode)
    {
        mode &= ~PosixMode.S_ISUID;
        if ((mode & PosixMode.S_IXGRP) != 0)
        {
            mode &= ~PosixMode.S_ISGID;
        }
        return mode;
    }

    private static void ApplyTime(TimeChange change, Timespec now, Action<Timespec> set)
    {
        switch (change.Kind)
        {
            case TimeChangeKind.Now:
                set(now);
                break;
            case TimeChangeKind.Set:
                set(change.Value);
                break;
        }
    }

    /// <summary>posix_acl_chmod: rewrites the access ACL (if any) to the node's mode.</summary>
    private void ChmodAccessAcl(NamespaceTransaction tx, InodeNode node)
    {
        if (TryGetXattrValue(node.Ino, PosixAcl.AccessXattrName, out byte[]? acl) && PosixAcl.TryParse(acl, out PosixAcl.Entry[] entries)
            && entries.Length > 0)
        {
            PosixAcl.Chmod(entries, node.Mode);
            SetXattrCore(tx, node.Ino, PosixAcl.AccessXattrName.ToArray(), PosixAcl.Serialize(entries));
        }
    }
}
