using Argos.Format;
using Argos.Metadata.Records;
using Argos.Platform;

namespace Argos.Metadata.Namespace;

/// <summary>
/// Creating inodes: the root, files, devices, FIFOs, sockets, directories, symlinks, O_TMPFILE,
/// and hard links. Ownership follows inode_init_owner(): uid = caller's fsuid; gid = caller's fsgid,
/// or the directory's gid when the directory is setgid (a new subdirectory also inherits setgid);
/// a file's setgid bit is dropped when the caller is not in its group. When the directory has a
/// default ACL the new inode inherits it (posix_acl_create: access ACL = default masked by the
/// mode, directories also keep the default) and the umask is not applied; otherwise the umask is
/// (FUSE_DONT_MASK: with FUSE_POSIX_ACL the kernel leaves it to the filesystem; pass 0 when the
/// mode is already final).
/// </summary>
public sealed partial class FsNamespace
{
    /// <summary>mkfs: creates the root directory (inode 1) and the counters. EEXIST when the namespace is not empty.</summary>
    public InodeAttributes InitializeRoot(NamespaceTransaction tx, uint mode, uint uid, uint gid)
    {
        BeginMutation(tx);
        try
        {
            if (_hasCounter || _inodes.Count > 0)
            {
                ThrowHelper.Fail(Errno.EEXIST, "the namespace already has a root; InitializeRoot runs once, at mkfs");
            }
            Timespec now = Now();
            TouchCounter(tx);
            _hasCounter = true;
            _nextInode = InodeId.Root.Value + 1;
            _generationEpoch = 1;
            TouchInode(tx, InodeId.Root.Value);
            var root = new InodeNode
            {
                Ino = InodeId.Root.Value,
                Mode = PosixMode.S_IFDIR | (mode & PosixMode.PermissionMask),
                Uid = uid,
                Gid = gid,
                Nlink = 2,
                Generation = _generationEpoch,
                Parent = InodeId.Root.Value,
                NextCookie = FirstCookie,
            };
            SetAllTimes(root, now);
            _inodes.Add(root.Ino, root);
            _directoryCount++;
            SealMutation(tx);
            return root.ToAttributes();
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
    /// Bumps the generation stamped on new inodes: call when inode numbers could repeat (after a
    /// rollback to a snapshot), so FUSE's (nodeid, generation) never names two files.
    /// </summary>
    public void BumpGeneration(NamespaceTransaction tx)
    {
        BeginMutation(tx);
        try
        {
            RequireCounter();
            TouchCounter(tx);
            _generationEpoch++;
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

    /// <summary>creat(2) / FUSE CREATE: a regular file. <paramref name="mode"/> holds permission bits (type bits ignored).</summary>
    public InodeAttributes Create(NamespaceTransaction tx, InodeId parent, ReadOnlySpan<byte> name, uint mode, in Credentials caller, uint umask = 0)
        => CreateNode(tx, parent, name, PosixMode.S_IFREG | (mode & PosixMode.PermissionMask), 0, default, caller, umask, tmpfile: false);

    /// <summary>mknod(2): regular (type 0 or S_IFREG), character/block device (with rdev), FIFO or socket.</summary>
    public InodeAttributes Mknod(NamespaceTransaction tx, InodeId parent, ReadOnlySpan<byte> name, uint mode, ulong rdev, in Credentials caller, uint umask = 0)
    {
        uint type = mode & PosixMode.S_IFMT;
        switch (type)
        {
            case 0:
                type = PosixMode.S_IFREG;
                break;
            case PosixMode.S_IFREG:
            case PosixMode.S_IFIFO:
            case PosixMode.S_IFSOCK:
            case PosixMode.S_IFCHR:
            case PosixMode.S_IFBLK:
                break;
            case PosixMode.S_IFDIR:
                return ThrowHelper.Fail<InodeAttributes>(Errno.EPERM, "mknod cannot create a directory; use mkdir");
            default:
                return ThrowHelper.Fail<InodeAttributes>(Errno.EINVAL, $"mknod mode 0x{mode:x} has no valid file type");
        }
        ulong storedRdev = type is PosixMode.S_IFCHR or PosixMode.S_IFBLK ? rdev : 0;
        return CreateNode(tx, parent, name, type | (mode & PosixMode.PermissionMask), storedRdev, default, caller, umask, tmpfile: false);
    }

    public InodeAttributes Mkdir(NamespaceTransaction tx, InodeId parent, ReadOnlySpan<byte> name, uint mode, in Credentials caller, uint umask = 0)
        => CreateNode(tx, parent, name, PosixMode.S_IFDIR | (mode & PosixMode.PermissionMask), 0, default, caller, umask, tmpfile: false);

    /// <summary>symlink(2): target of 1..4095 bytes without NUL; mode 0777.</summary>
    public InodeAttributes Symlink(NamespaceTransaction tx, InodeId parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, in Credentials caller)
    {
        if (target.Length == 0)
        {
            ThrowHelper.Fail(Errno.ENOENT, "symlink target is empty");
        }
        if (target.Length > SymlinkMaxBytes)
        {
            ThrowHelper.Fail(Errno.ENAMETOOLONG, $"symlink target of {target.Length} bytes exceeds {SymlinkMaxBytes} bytes (PATH_MAX)");
        }
        if (target.IndexOf((byte)0) >= 0)
        {
            ThrowHelper.Fail(Errno.EINVAL, "symlink target contains NUL");
        }
        return CreateNode(tx, parent, name, PosixMode.S_IFLNK | PosixMode.AccessMask, 0, target, caller, 0, tmpfile: false);
    }

    /// <summary>
    /// O_TMPFILE: a regular file with no name, nlink 0 and an orphan record, returned pinned open
    /// once (release it with <see cref="UnpinOpen"/>); <see cref="Link"/> can give it a name.
    /// <paramref name="directory"/> decides ownership and inherited ACLs.
    /// </summary>
    public InodeAttributes Tmpfile(NamespaceTransaction tx, InodeId directory, uint mode, in Credentials caller, uint umask = 0)
        => CreateNode(tx, directory, default, PosixMode.S_IFREG | (mode & PosixMode.PermissionMask), 0, default, caller, umask, tmpfile: true);

    private InodeAttributes CreateNode(NamespaceTransaction tx, InodeId parentId, ReadOnlySpan<byte> name, uint mode, ulong rdev,
        ReadOnlySpan<byte> symlinkTarget, in Credentials caller, uint umask, bool tmpfile)
    {
        BeginMutation(tx);
        try
        {
            RequireCounter();
            InodeNode parent = LiveDirectory(parentId.Value);
            bool isDir = PosixMode.IsDirectory(mode);
            if (!tmpfile)
            {
                ValidateName(name);
                if (IsDotName(name) || (_dirs.TryGetValue(parent.Ino, out DirectoryIndex? existing) && existing.TryFind(name, out _)))
                {
                    ThrowHelper.Fail(Errno.EEXIST, $"'{ThrowHelper.NameText(name)}' already exists in directory {parent.Ino}");
                }
                if (isDir && parent.Nlink >= MaxDirectoryLinks)
                {
                    ThrowHelper.Fail(Errno.EMLINK, $"directory {parent.Ino} has the maximum number of subdirectories");
                }
            }
            if ((ulong)_inodes.Count >= MaxInodes)
            {
                ThrowHelper.Fail(Errno.ENOSPC, $"the pool holds its maximum of {MaxInodes} inodes; remove files first");
            }

            // Ownership and mode (inode_init_owner, mode_strip_sgid).
            uint gid = caller.Gid;
            if ((parent.Mode & PosixMode.S_ISGID) != 0)
            {
                gid = parent.Gid;
                if (isDir)
                {
                    mode |= PosixMode.S_ISGID;
                }
            }
            if (!isDir && (mode & (PosixMode.S_ISGID | PosixMode.S_IXGRP)) == (PosixMode.S_ISGID | PosixMode.S_IXGRP)
                && !caller.InGroup(gid) && !caller.IsRoot)
            {
                mode &= ~PosixMode.S_ISGID;
            }

            // Inherited ACLs (posix_acl_create).
            byte[]? accessAcl = null;
            byte[]? defaultAcl = null;
            bool isSymlink = PosixMode.IsSymlink(mode);
            if (!isSymlink && TryGetXattrValue(parent.Ino, PosixAcl.DefaultXattrName, out byte[]? parentDefault)
                && PosixAcl.TryParse(parentDefault, out PosixAcl.Entry[] entries) && entries.Length > 0)
            {
                if (isDir)
                {
                    defaultAcl = parentDefault;
                }
                if (PosixAcl.CreateMasq(entries, ref mode))
                {
                    accessAcl = PosixAcl.Serialize(entries);
                }
            }
            else if (!isSymlink)
            {
                mode &= ~(umask & PosixMode.AccessMask);
            }

            // Mutate.
            Timespec now = Now();
            TouchCounter(tx);
            ulong ino = _nextInode++;
            TouchInode(tx, ino);
            var node = new InodeNode
            {
                Ino = ino,
                Mode = mode,
                Uid = caller.Uid,
                Gid = gid,
                Nlink = tmpfile ? 0u : isDir ? 2u : 1u,
                Flags = tmpfile ? InodeFlags.Tmpfile : 0,
                Rdev = rdev,
                Generation = _generationEpoch,
                Parent = isDir ? parent.Ino : 0,
                NextCookie = isDir ? FirstCookie : 0,
                Size = (ulong)symlinkTarget.Length,
                Data = symlinkTarget.Length > 0 ? symlinkTarget.ToArray() : null,
            };
            SetAllTimes(node, now);
            _inodes.Add(ino, node);
            if (isDir)
            {
                _directoryCount++;
            }
            if (accessAcl is not null)
            {
                SetXattrCore(tx, ino, PosixAcl.AccessXattrName.ToArray(), accessAcl);
            }
            if (defaultAcl is not null)
            {
                SetXattrCore(tx, ino, PosixAcl.DefaultXattrName.ToArray(), defaultAcl);
            }
            if (tmpfile)
            {
                TouchOrphan(tx, ino);
                _orphans.Add(ino);
                lock (_openCounts)
                {
                    _openCounts[ino] = 1;
                }
            }
            else
            {
                AddEntry(tx, parent, name.ToArray(), ino, mode);
                TouchInode(tx, parent.Ino);
                if (isDir)
                {
                    parent.Nlink++;
                }
                parent.Mtime = now;
                parent.Ctime = now;
            }
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
    /// link(2): a new name for a non-directory (EPERM for directories). A file already unlinked
    /// gives ENOENT, except an O_TMPFILE, which this links into the tree.
    /// </summary>
    public InodeAttributes Link(NamespaceTransaction tx, InodeId ino, InodeId newParent, ReadOnlySpan<byte> newName)
    {
        BeginMutation(tx);
        try
        {
            InodeNode node = Node(ino.Value);
            if (node.IsDirectory)
            {
                ThrowHelper.Fail(Errno.EPERM, $"inode {ino} is a directory; directories cannot be hard-linked");
            }
            InodeNode parent = LiveDirectory(newParent.Value);
            ValidateName(newName);
            if (IsDotName(newName) || (_dirs.TryGetValue(parent.Ino, out DirectoryIndex? existing) && existing.TryFind(newName, out _)))
            {
                ThrowHelper.Fail(Errno.EEXIST, $"'{ThrowHelper.NameText(newName)}' already exists in directory {parent.Ino}");
            }
            bool linkable = (node.Flags & InodeFlags.Tmpfile) != 0;
            if (node.Nlink == 0 && !linkable)
            {
                ThrowHelper.Fail(Errno.ENOENT, $"inode {ino} was unlinked; it cannot get a new name");
            }
            if (node.Nlink >= MaxFileLinks)
            {
                ThrowHelper.Fail(Errno.EMLINK, $"inode {ino} has {node.Nlink} links, the maximum");
            }
            Timespec now = Now();
            TouchInode(tx, node.Ino);
            if (linkable)
            {
                node.Flags &= ~InodeFlags.Tmpfile;
                if (_orphans.Contains(node.Ino))
                {
                    TouchOrphan(tx, node.Ino);
                    _orphans.Remove(node.Ino);
                }
            }
            node.Nlink++;
            node.Ctime = now;
            AddEntry(tx, parent, newName.ToArray(), node.Ino, node.Mode);
            TouchInode(tx, parent.Ino);
            parent.Mtime = now;
            parent.Ctime = now;
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

    private void RequireCounter()
    {
        if (!_hasCounter)
        {
            ThrowHelper.Fail(Errno.EIO, "the namespace has no counters record: it was neither initialised (InitializeRoot at mkfs) nor replayed");
        }
    }

    /// <summary>Adds an entry with the directory's next cookie (caller has validated; touches dirent and directory inode).</summary>
    private void AddEntry(NamespaceTransaction tx, InodeNode dir, byte[] name, ulong child, uint childMode)
    {
        TouchDirent(tx, dir.Ino, name);
        TouchInode(tx, dir.Ino);
        if (!_dirs.TryGetValue(dir.Ino, out DirectoryIndex? index))
        {
            index = new DirectoryIndex();
            _dirs.Add(dir.Ino, index);
        }
        ulong cookie = dir.NextCookie < FirstCookie ? FirstCookie : dir.NextCookie;
        dir.NextCookie = cookie + 1;
        index.Add(name, child, PosixMode.DirentType(childMode), cookie);
    }

    private static void SetAllTimes(InodeNode node, Timespec now)
    {
        node.Atime = now;
        node.Mtime = now;
        node.Ctime = now;
        node.Btime = now;
    }
}
