using Argos.Format;
using Argos.Metadata.Namespace.Encoding;
using Argos.Platform;

namespace Argos.Metadata.Namespace;

/// <summary>
/// Removing names and reclaiming inodes. An inode whose last name goes away while it is open
/// (see <see cref="PinOpen"/>) becomes an orphan: nlink 0, an Orphan record, data intact, until
/// its last close (<see cref="UnpinOpen"/> then <see cref="Reclaim"/>) or the next open of the pool
/// (<see cref="ReclaimOrphans"/>). A reclaimed inode loses its inode, xattr and stripe records in
/// the same transaction; <see cref="NamespaceTransaction.FreedInodes"/> lists the stripes whose
/// extents the data path frees once the commit is durable.
/// </summary>
public sealed partial class FsNamespace
{
    /// <summary>unlink(2) of a non-directory (EISDIR for directories).</summary>
    public void Unlink(NamespaceTransaction tx, InodeId parent, ReadOnlySpan<byte> name)
    {
        BeginMutation(tx);
        try
        {
            InodeNode dir = Directory(parent.Value);
            ValidateName(name);
            if (IsDotName(name))
            {
                ThrowHelper.Fail(Errno.EISDIR, $"cannot unlink '{ThrowHelper.NameText(name)}': it is a directory");
            }
            (DirectoryIndex index, int slot) = FindEntry(dir.Ino, name);
            InodeNode child = Node(index.At(slot).Child);
            if (child.IsDirectory)
            {
                ThrowHelper.Fail(Errno.EISDIR, $"'{ThrowHelper.NameText(name)}' in directory {parent} is a directory; use rmdir");
            }
            Timespec now = Now();
            RemoveEntry(tx, dir, index, slot);
            TouchInode(tx, dir.Ino);
            dir.Mtime = now;
            dir.Ctime = now;
            TouchInode(tx, child.Ino);
            child.Nlink--;
            child.Ctime = now;
            if (child.Nlink == 0)
            {
                OrphanOrFree(tx, child);
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

    /// <summary>rmdir(2): ENOTDIR for a non-directory, ENOTEMPTY unless empty, EINVAL for ".".</summary>
    public void Rmdir(NamespaceTransaction tx, InodeId parent, ReadOnlySpan<byte> name)
    {
        BeginMutation(tx);
        try
        {
            InodeNode dir = Directory(parent.Value);
            ValidateName(name);
            if (name.Length == 1)
            {
                if (name[0] == (byte)'.')
                {
                    ThrowHelper.Fail(Errno.EINVAL, "cannot rmdir '.'; remove the directory by its name in its parent");
                }
            }
            else if (IsDotName(name))
            {
                ThrowHelper.Fail(Errno.ENOTEMPTY, "cannot rmdir '..'");
            }
            (DirectoryIndex index, int slot) = FindEntry(dir.Ino, name);
            InodeNode child = Node(index.At(slot).Child);
            if (!child.IsDirectory)
            {
                ThrowHelper.Fail(Errno.ENOTDIR, $"'{ThrowHelper.NameText(name)}' in directory {parent} is not a directory; use unlink");
            }
            if (_dirs.TryGetValue(child.Ino, out DirectoryIndex? childIndex) && childIndex.Count > 0)
            {
                ThrowHelper.Fail(Errno.ENOTEMPTY, $"directory '{ThrowHelper.NameText(name)}' is not empty ({childIndex.Count} entries)");
            }
            Timespec now = Now();
            RemoveEntry(tx, dir, index, slot);
            TouchInode(tx, dir.Ino);
            dir.Nlink--;
            dir.Mtime = now;
            dir.Ctime = now;
            TouchInode(tx, child.Ino);
            child.Nlink = 0;
            child.Ctime = now;
            OrphanOrFree(tx, child);
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

    /// <summary>Counts an open handle (FUSE OPEN, OPENDIR, CREATE). Open counts live in memory only.</summary>
    public void PinOpen(InodeId ino)
    {
        _lock.EnterReadLock();
        try
        {
            Node(ino.Value);
            lock (_openCounts)
            {
                _openCounts[ino.Value] = (_openCounts.TryGetValue(ino.Value, out int n) ? n : 0) + 1;
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Drops an open handle (FUSE RELEASE). Returns true when that was the last handle of an
    /// unlinked inode: the caller then reclaims it with <see cref="Reclaim"/> in a transaction.
    /// </summary>
    public bool UnpinOpen(InodeId ino)
    {
        _lock.EnterReadLock();
        try
        {
            int remaining;
            lock (_openCounts)
            {
                if (!_openCounts.TryGetValue(ino.Value, out int n) || n == 0)
                {
                    throw new InvalidOperationException($"UnpinOpen of inode {ino} without a matching PinOpen");
                }
                remaining = n - 1;
                if (remaining == 0)
                {
                    _openCounts.Remove(ino.Value);
                }
                else
                {
                    _openCounts[ino.Value] = remaining;
                }
            }
            return remaining == 0 && _inodes.TryGetValue(ino.Value, out InodeNode? node) && node.Nlink == 0;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public int GetOpenCount(InodeId ino) => OpenCount(ino.Value);

    /// <summary>Frees an orphan that is no longer open. Returns false (and does nothing) when it is still open or linked.</summary>
    public bool Reclaim(NamespaceTransaction tx, InodeId ino)
    {
        BeginMutation(tx);
        try
        {
            bool freed = false;
            if (_inodes.TryGetValue(ino.Value, out InodeNode? node) && node.Nlink == 0 && OpenCount(node.Ino) == 0)
            {
                FreeInode(tx, node);
                freed = true;
            }
            SealMutation(tx);
            return freed;
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

    /// <summary>At pool open: frees every orphan not open now (all of them, after a restart). Returns how many.</summary>
    public int ReclaimOrphans(NamespaceTransaction tx)
    {
        BeginMutation(tx);
        try
        {
            var victims = new List<InodeNode>();
            foreach (ulong ino in _orphans)
            {
                if (OpenCount(ino) == 0)
                {
                    if (_inodes.TryGetValue(ino, out InodeNode? node))
                    {
                        victims.Add(node);
                    }
                }
            }
            var stale = new List<ulong>();
            foreach (ulong ino in _orphans)
            {
                if (!_inodes.ContainsKey(ino))
                {
                    stale.Add(ino);
                }
            }
            foreach (InodeNode node in victims)
            {
                FreeInode(tx, node);
            }
            foreach (ulong ino in stale)
            {
                TouchOrphan(tx, ino);
                _orphans.Remove(ino);
            }
            SealMutation(tx);
            return victims.Count;
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

    private (DirectoryIndex Index, int Slot) FindEntry(ulong parent, ReadOnlySpan<byte> name)
    {
        if (_dirs.TryGetValue(parent, out DirectoryIndex? index) && index.TryFind(name, out int slot))
        {
            return (index, slot);
        }
        ThrowHelper.NoEntry(parent, name);
        return default;
    }

    private void RemoveEntry(NamespaceTransaction tx, InodeNode dir, DirectoryIndex index, int slot)
    {
        TouchDirent(tx, dir.Ino, index.At(slot).Name!);
        index.RemoveAt(slot);
        DropIndexIfEmpty(dir.Ino, index);
    }

    private void OrphanOrFree(NamespaceTransaction tx, InodeNode node)
    {
        if (OpenCount(node.Ino) > 0)
        {
            if (!_orphans.Contains(node.Ino))
            {
                TouchOrphan(tx, node.Ino);
                _orphans.Add(node.Ino);
            }
        }
        else
        {
            FreeInode(tx, node);
        }
    }

    /// <summary>Deletes an inode with its xattrs, stripes, orphan mark and (empty) directory index.</summary>
    private void FreeInode(NamespaceTransaction tx, InodeNode node)
    {
        ulong ino = node.Ino;
        TouchInode(tx, ino);
        if (_xattrs.TryGetValue(ino, out XattrSet? xattrs))
        {
            for (int i = 0; i < xattrs.Count; i++)
            {
                TouchXattr(tx, ino, xattrs.NameAt(i));
            }
            _xattrs.Remove(ino);
        }
        var stripes = new List<KeyValuePair<StripeIndex, StripeRecord>>();
        if (_stripes.TryGetValue(ino, out SortedList<ulong, StripeRecord>? list))
        {
            foreach (KeyValuePair<ulong, StripeRecord> s in list)
            {
                TouchStripe(tx, ino, s.Key);
                stripes.Add(new(new StripeIndex(s.Key), s.Value));
            }
            _stripes.Remove(ino);
        }
        if (_orphans.Contains(ino))
        {
            TouchOrphan(tx, ino);
            _orphans.Remove(ino);
        }
        if (_dirs.TryGetValue(ino, out DirectoryIndex? index))
        {
            // Only an empty index can be here (rmdir checked); drop it with the inode.
            _dirs.Remove(ino);
            _unsorted.Remove(index);
        }
        _inodes.Remove(ino);
        if (node.IsDirectory)
        {
            _directoryCount--;
        }
        lock (_openCounts)
        {
            _openCounts.Remove(ino);
        }
        tx.AddFreed(new FreedInode(new InodeId(ino), node.Size, stripes));
    }
}
