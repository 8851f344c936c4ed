using Argos.Format;
using Argos.Platform;

namespace Argos.Metadata.Namespace;

/// <summary>
/// renameat2(2). Without flags: a non-directory may replace a non-directory, a directory may
/// replace an empty directory; the replaced inode loses a link. NOREPLACE: EEXIST when the new
/// name exists. EXCHANGE: both names must exist and swap their inodes. A directory never moves
/// into itself or below itself (EINVAL), checked by walking '..' up from the destination
/// directory: O(depth). Entries keep their cookies when only their inode changes (replace,
/// exchange), so a concurrent readdir sees each name once.
/// </summary>
public sealed partial class FsNamespace
{
    public void Rename(NamespaceTransaction tx, InodeId oldParent, ReadOnlySpan<byte> oldName, InodeId newParent, ReadOnlySpan<byte> newName,
        RenameFlags flags = RenameFlags.None)
    {
        BeginMutation(tx);
        try
        {
            if ((flags & ~(RenameFlags.NoReplace | RenameFlags.Exchange)) != 0)
            {
                ThrowHelper.Fail(Errno.EINVAL, $"rename flags 0x{(uint)flags:x} are not supported (only RENAME_NOREPLACE and RENAME_EXCHANGE)");
            }
            if (flags == (RenameFlags.NoReplace | RenameFlags.Exchange))
            {
                ThrowHelper.Fail(Errno.EINVAL, "RENAME_NOREPLACE and RENAME_EXCHANGE cannot be combined");
            }
            InodeNode op = Directory(oldParent.Value);
            InodeNode np = Directory(newParent.Value);
            ValidateName(oldName);
            ValidateName(newName);
            if (IsDotName(oldName) || IsDotName(newName))
            {
                ThrowHelper.Fail(Errno.EINVAL, "'.' and '..' cannot be renamed or replaced");
            }
            (DirectoryIndex srcIndex, int srcSlot) = FindEntry(op.Ino, oldName);
            InodeNode src = Node(srcIndex.At(srcSlot).Child);
            DirectoryIndex? dstIndex = null;
            int dstSlot = -1;
            if (_dirs.TryGetValue(np.Ino, out DirectoryIndex? ni) && ni.TryFind(newName, out int ds))
            {
                dstIndex = ni;
                dstSlot = ds;
            }
            InodeNode? dst = dstIndex is null ? null : Node(dstIndex.At(dstSlot).Child);
            bool exchange = (flags & RenameFlags.Exchange) != 0;
            if (exchange && dst is null)
            {
                ThrowHelper.NoEntry(np.Ino, newName);
            }
            if ((flags & RenameFlags.NoReplace) != 0 && dst is not null)
            {
                ThrowHelper.Fail(Errno.EEXIST, $"'{ThrowHelper.NameText(newName)}' exists in directory {np.Ino} (RENAME_NOREPLACE)");
            }
            if (dst is not null && ReferenceEquals(dst, src))
            {
                // Both names are links to one inode: POSIX says do nothing.
                SealMutation(tx);
                return;
            }
            if (exchange)
            {
                ExchangeCore(tx, op, np, srcIndex, srcSlot, src, dstIndex!, dstSlot, dst!);
            }
            else
            {
                MoveCore(tx, op, np, srcIndex, srcSlot, src, newName, dstIndex, dstSlot, dst);
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

    private void MoveCore(NamespaceTransaction tx, InodeNode op, InodeNode np, DirectoryIndex srcIndex, int srcSlot, InodeNode src,
        ReadOnlySpan<byte> newName, DirectoryIndex? dstIndex, int dstSlot, InodeNode? dst)
    {
        bool srcIsDir = src.IsDirectory;
        bool crossDir = op.Ino != np.Ino;
        if (srcIsDir)
        {
            if (IsSelfOrDescendant(np, src.Ino))
            {
                ThrowHelper.Fail(Errno.EINVAL, $"cannot move directory {src.Ino} into itself or one of its subdirectories");
            }
            if (dst is not null)
            {
                if (!dst.IsDirectory)
                {
                    ThrowHelper.Fail(Errno.ENOTDIR, $"cannot replace non-directory '{ThrowHelper.NameText(newName)}' with a directory");
                }
                if (_dirs.TryGetValue(dst.Ino, out DirectoryIndex? di) && di.Count > 0)
                {
                    ThrowHelper.Fail(Errno.ENOTEMPTY, $"cannot replace directory '{ThrowHelper.NameText(newName)}': it is not empty");
                }
            }
            else if (crossDir && np.Nlink >= MaxDirectoryLinks)
            {
                ThrowHelper.Fail(Errno.EMLINK, $"directory {np.Ino} has the maximum number of subdirectories");
            }
        }
        else if (dst is not null && dst.IsDirectory)
        {
            ThrowHelper.Fail(Errno.EISDIR, $"cannot replace directory '{ThrowHelper.NameText(newName)}' with a non-directory");
        }
        if (np.Nlink == 0)
        {
            ThrowHelper.Fail(Errno.ENOENT, $"directory {np.Ino} was removed; nothing can be moved into it");
        }

        Timespec now = Now();
        byte type = PosixMode.DirentType(src.Mode);
        RemoveEntry(tx, op, srcIndex, srcSlot);
        if (dst is not null)
        {
            // The name keeps its cookie; only its inode changes. The slot index is still valid:
            // removal from the same directory only tombstones or compacts, so look it up again.
            DirectoryIndex index = _dirs[np.Ino];
            index.TryFind(newName, out dstSlot);
            TouchDirent(tx, np.Ino, index.At(dstSlot).Name!);
            index.Update(dstSlot, src.Ino, type);
            TouchInode(tx, dst.Ino);
            dst.Ctime = now;
            if (dst.IsDirectory)
            {
                TouchInode(tx, np.Ino);
                np.Nlink--;
                dst.Nlink = 0;
            }
            else
            {
                dst.Nlink--;
            }
            if (dst.Nlink == 0)
            {
                OrphanOrFree(tx, dst);
            }
        }
        else
        {
            AddEntry(tx, np, newName.ToArray(), src.Ino, src.Mode);
        }
        TouchInode(tx, src.Ino);
        src.Ctime = now;
        if (srcIsDir && crossDir)
        {
            TouchInode(tx, op.Ino);
            TouchInode(tx, np.Ino);
            op.Nlink--;
            np.Nlink++;
            src.Parent = np.Ino;
        }
        TouchInode(tx, op.Ino);
        TouchInode(tx, np.Ino);
        op.Mtime = now;
        op.Ctime = now;
        np.Mtime = now;
        np.Ctime = now;
    }

    private void ExchangeCore(NamespaceTransaction tx, InodeNode op, InodeNode np, DirectoryIndex srcIndex, int srcSlot, InodeNode src,
        DirectoryIndex dstIndex, int dstSlot, InodeNode dst)
    {
        bool crossDir = op.Ino != np.Ino;
        if (crossDir)
        {
            if (src.IsDirectory && IsSelfOrDescendant(np, src.Ino))
            {
                ThrowHelper.Fail(Errno.EINVAL, $"cannot exchange: directory {src.Ino} would move below itself");
            }
            if (dst.IsDirectory && IsSelfOrDescendant(op, dst.Ino))
            {
                ThrowHelper.Fail(Errno.EINVAL, $"cannot exchange: directory {dst.Ino} would move below itself");
            }
        }
        Timespec now = Now();
        TouchDirent(tx, op.Ino, srcIndex.At(srcSlot).Name!);
        TouchDirent(tx, np.Ino, dstIndex.At(dstSlot).Name!);
        srcIndex.Update(srcSlot, dst.Ino, PosixMode.DirentType(dst.Mode));
        dstIndex.Update(dstSlot, src.Ino, PosixMode.DirentType(src.Mode));
        TouchInode(tx, src.Ino);
        TouchInode(tx, dst.Ino);
        TouchInode(tx, op.Ino);
        TouchInode(tx, np.Ino);
        src.Ctime = now;
        dst.Ctime = now;
        if (crossDir)
        {
            if (src.IsDirectory)
            {
                src.Parent = np.Ino;
                op.Nlink--;
                np.Nlink++;
            }
            if (dst.IsDirectory)
            {
                dst.Parent = op.Ino;
                np.Nlink--;
                op.Nlink++;
            }
        }
        op.Mtime = now;
        op.Ctime = now;
        np.Mtime = now;
        np.Ctime = now;
    }

    /// <summary>Whether <paramref name="dir"/> is <paramref name="ancestor"/> or lies below it: walks '..' to the root.</summary>
    private bool IsSelfOrDescendant(InodeNode dir, ulong ancestor)
    {
        InodeNode current = dir;
        for (int depth = 0; depth < 1_000_000; depth++)
        {
            if (current.Ino == ancestor)
            {
                return true;
            }
            if (current.Parent == 0 || current.Parent == current.Ino || !_inodes.TryGetValue(current.Parent, out InodeNode? parent))
            {
                return false;
            }
            current = parent;
        }
        return ThrowHelper.Fail<bool>(Errno.EIO, $"directory {dir.Ino} has a '..' cycle; run 'argosfs fsck'");
    }
}
