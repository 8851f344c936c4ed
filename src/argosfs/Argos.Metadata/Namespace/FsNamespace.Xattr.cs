using Argos.Format;
using Argos.Platform;

namespace Argos.Metadata.Namespace;

/// <summary>
/// Extended attributes in all four Linux namespaces (xattr_permission / posix_acl_xattr_set rules):
/// - names: "user.", "trusted.", "security." or "system." prefix (EOPNOTSUPP otherwise), ≤ 255
///   bytes (ERANGE), a non-empty suffix (EINVAL); values ≤ 64 KiB (E2BIG);
/// - user.*: regular files and directories only (EPERM), writing needs write permission (EACCES);
/// - trusted.*: root only (EPERM to write; invisible, ENODATA, to others);
/// - security.*: stored for everyone (the LSM decides); security.capability needs root to set;
/// - system.posix_acl_access / _default: the kernel's binary ACL, validated (EINVAL); owner or
///   root (EPERM); a default ACL only on directories (EACCES); setting an access ACL sets the mode
///   bits, and one equivalent to the mode is not stored; other system.* names: EOPNOTSUPP.
/// XATTR_CREATE on an existing name: EEXIST; XATTR_REPLACE or removal of a missing one: ENODATA.
/// Every change sets ctime. listxattr returns names in byte order (stable across replay).
/// </summary>
public sealed partial class FsNamespace
{
    public ReadOnlyMemory<byte> GetXattr(InodeId ino, ReadOnlySpan<byte> name, in Credentials caller)
    {
        if (!TryGetXattr(ino, name, caller, out var value))
        {
            ThrowHelper.Fail(Errno.ENODATA, $"inode {ino} has no attribute '{ThrowHelper.NameText(name)}' visible to uid {caller.Uid}");
        }
        return value;
    }

    /// <summary>
    /// <see cref="GetXattr"/> without the exception for an attribute that is not there (ENODATA: the
    /// kernel asks for security.capability before the first write to every file). Other failures throw.
    /// </summary>
    public bool TryGetXattr(InodeId ino, ReadOnlySpan<byte> name, in Credentials caller, out ReadOnlyMemory<byte> value)
    {
        _lock.EnterReadLock();
        try
        {
            InodeNode node = Node(ino.Value);
            XattrNamespace ns = ValidateXattrName(name);
            if (ns == XattrNamespace.Trusted && !caller.IsRoot)
            {
                value = default; // trusted.* is invisible to others
                return false;
            }
            if (!TryGetXattrValue(node.Ino, name, out byte[]? found))
            {
                value = default;
                return false;
            }
            value = found;
            return true;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Attribute names in byte order; trusted.* only for root. The caller sizes the FUSE reply (ERANGE).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> ListXattr(InodeId ino, in Credentials caller)
    {
        _lock.EnterReadLock();
        try
        {
            Node(ino.Value);
            if (!_xattrs.TryGetValue(ino.Value, out XattrSet? set))
            {
                return [];
            }
            var names = new List<ReadOnlyMemory<byte>>(set.Count);
            for (int i = 0; i < set.Count; i++)
            {
                byte[] name = set.NameAt(i);
                if (!caller.IsRoot && name.AsSpan().StartsWith("trusted."u8))
                {
                    continue;
                }
                names.Add(name);
            }
            return names;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <param name="killSgid">FUSE_SETXATTR_ACL_KILL_SGID: the kernel asks to clear S_ISGID while setting an ACL.</param>
    public InodeAttributes SetXattr(NamespaceTransaction tx, InodeId ino, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, XattrFlags flags,
        in Credentials caller, bool killSgid = false)
    {
        BeginMutation(tx);
        try
        {
            InodeNode node = Node(ino.Value);
            if ((flags & ~(XattrFlags.Create | XattrFlags.Replace)) != 0 || flags == (XattrFlags.Create | XattrFlags.Replace))
            {
                ThrowHelper.Fail(Errno.EINVAL, $"setxattr flags 0x{(uint)flags:x}: use XATTR_CREATE or XATTR_REPLACE, not both");
            }
            XattrNamespace ns = ValidateXattrName(name);
            if (value.Length > XattrValueMaxBytes)
            {
                ThrowHelper.Fail(Errno.E2BIG, $"xattr value of {value.Length} bytes exceeds {XattrValueMaxBytes} bytes");
            }
            CheckXattrWrite(node, ns, name, caller);
            bool exists = TryGetXattrValue(node.Ino, name, out _);
            if ((flags & XattrFlags.Create) != 0 && exists)
            {
                ThrowHelper.Fail(Errno.EEXIST, $"inode {ino} already has '{ThrowHelper.NameText(name)}' (XATTR_CREATE)");
            }
            if ((flags & XattrFlags.Replace) != 0 && !exists)
            {
                ThrowHelper.Fail(Errno.ENODATA, $"inode {ino} has no '{ThrowHelper.NameText(name)}' to replace (XATTR_REPLACE)");
            }
            byte[]? stored = value.ToArray();
            uint newMode = node.Mode;
            if (ns == XattrNamespace.System)
            {
                stored = PrepareAcl(node, name, value, ref newMode);
            }

            Timespec now = Now();
            TouchInode(tx, node.Ino);
            byte[] storedName = name.ToArray();
            if (stored is null)
            {
                RemoveXattrIfPresent(tx, node.Ino, storedName);
            }
            else
            {
                SetXattrCore(tx, node.Ino, storedName, stored);
            }
            node.Mode = newMode;
            if (killSgid)
            {
                node.Mode &= ~PosixMode.S_ISGID;
            }
            node.Ctime = now;
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

    public void RemoveXattr(NamespaceTransaction tx, InodeId ino, ReadOnlySpan<byte> name, in Credentials caller)
    {
        BeginMutation(tx);
        try
        {
            InodeNode node = Node(ino.Value);
            XattrNamespace ns = ValidateXattrName(name);
            CheckXattrWrite(node, ns, name, caller);
            if (ns == XattrNamespace.System && !node.IsDirectory && name.SequenceEqual(PosixAcl.DefaultXattrName)
                && !TryGetXattrValue(node.Ino, name, out _))
            {
                // Removing a default ACL from a non-directory succeeds and does nothing (set_posix_acl).
                SealMutation(tx);
                return;
            }
            if (!_xattrs.TryGetValue(node.Ino, out XattrSet? set) || set.IndexOf(name) < 0)
            {
                ThrowHelper.Fail(Errno.ENODATA, $"inode {ino} has no attribute '{ThrowHelper.NameText(name)}'");
            }
            TouchInode(tx, node.Ino);
            RemoveXattrIfPresent(tx, node.Ino, set.NameAt(set.IndexOf(name)));
            node.Ctime = Now();
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

    private enum XattrNamespace
    {
        User,
        Trusted,
        Security,
        System,
    }

    private static XattrNamespace ValidateXattrName(ReadOnlySpan<byte> name)
    {
        if (name.Length > XattrNameMaxBytes)
        {
            ThrowHelper.Fail(Errno.ERANGE, $"xattr name of {name.Length} bytes exceeds {XattrNameMaxBytes} bytes");
        }
        if (name.IndexOf((byte)0) >= 0)
        {
            ThrowHelper.Fail(Errno.EINVAL, "xattr name contains NUL");
        }
        XattrNamespace ns;
        int prefix;
        if (name.StartsWith("user."u8))
        {
            (ns, prefix) = (XattrNamespace.User, 5);
        }
        else if (name.StartsWith("trusted."u8))
        {
            (ns, prefix) = (XattrNamespace.Trusted, 8);
        }
        else if (name.StartsWith("security."u8))
        {
            (ns, prefix) = (XattrNamespace.Security, 9);
        }
        else if (name.StartsWith("system."u8))
        {
            if (!name.SequenceEqual(PosixAcl.AccessXattrName) && !name.SequenceEqual(PosixAcl.DefaultXattrName))
            {
                ThrowHelper.Fail(Errno.EOPNOTSUPP, $"xattr '{ThrowHelper.NameText(name)}' is not supported; the system namespace holds only POSIX ACLs");
            }
            return XattrNamespace.System;
        }
        else
        {
            return ThrowHelper.Fail<XattrNamespace>(Errno.EOPNOTSUPP,
                $"xattr name '{ThrowHelper.NameText(name)}' has no namespace; prefix it with user., trusted., security. or system.");
        }
        if (name.Length == prefix)
        {
            ThrowHelper.Fail(Errno.EINVAL, $"xattr name '{ThrowHelper.NameText(name)}' is only a namespace prefix");
        }
        return ns;
    }

    private void CheckXattrWrite(InodeNode node, XattrNamespace ns, ReadOnlySpan<byte> name, in Credentials caller)
    {
        switch (ns)
        {
            case XattrNamespace.Trusted when !caller.IsRoot:
                ThrowHelper.Fail(Errno.EPERM, "trusted.* attributes need root (CAP_SYS_ADMIN)");
                break;
            case XattrNamespace.Security when !caller.IsRoot && name.SequenceEqual(s_securityCapability):
                ThrowHelper.Fail(Errno.EPERM, "security.capability needs root (CAP_SETFCAP)");
                break;
            case XattrNamespace.User:
                if (!node.IsDirectory && !PosixMode.IsRegular(node.Mode))
                {
                    ThrowHelper.Fail(Errno.EPERM, $"user.* attributes exist only on regular files and directories, not inode {node.Ino}");
                }
                if (!Permits(node, 2, caller))
                {
                    ThrowHelper.Fail(Errno.EACCES, $"writing user.* attributes of inode {node.Ino} needs write permission");
                }
                break;
            case XattrNamespace.System:
                if (PosixMode.IsSymlink(node.Mode))
                {
                    ThrowHelper.Fail(Errno.EOPNOTSUPP, "symbolic links have no ACLs");
                }
                if (!caller.IsRoot && caller.Uid != node.Uid)
                {
                    ThrowHelper.Fail(Errno.EPERM, $"only the owner (uid {node.Uid}) or root may change the ACL of inode {node.Ino}");
                }
                break;
        }
    }

    /// <summary>Validates an ACL xattr; returns the bytes to store (null: remove) and the new mode.</summary>
    private static byte[]? PrepareAcl(InodeNode node, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, ref uint mode)
    {
        if (!PosixAcl.TryParse(value, out PosixAcl.Entry[] entries) || (entries.Length > 0 && !PosixAcl.IsValid(entries)))
        {
            ThrowHelper.Fail(Errno.EINVAL, "malformed POSIX ACL: expected version 2 header and USER_OBJ, USER*, GROUP_OBJ, GROUP*, MASK, OTHER entries");
        }
        bool isDefault = name.SequenceEqual(PosixAcl.DefaultXattrName);
        if (isDefault)
        {
            if (!node.IsDirectory)
            {
                ThrowHelper.Fail(Errno.EACCES, $"a default ACL can only be set on a directory; inode {node.Ino} is not one");
            }
            return entries.Length == 0 ? null : value.ToArray();
        }
        if (entries.Length == 0)
        {
            return null;
        }
        bool equivalent = PosixAcl.IsEquivalentToMode(entries, out uint bits);
        mode = (mode & ~PosixMode.AccessMask) | bits;
        return equivalent ? null : value.ToArray();
    }

    /// <summary>Sets an xattr (caller validated), touching its record.</summary>
    private void SetXattrCore(NamespaceTransaction tx, ulong ino, byte[] name, byte[] value)
    {
        TouchXattr(tx, ino, name);
        if (!_xattrs.TryGetValue(ino, out XattrSet? set))
        {
            set = new XattrSet();
            _xattrs.Add(ino, set);
        }
        set.Set(name, value);
    }

    private void RemoveXattrIfPresent(NamespaceTransaction tx, ulong ino, byte[] name)
    {
        if (_xattrs.TryGetValue(ino, out XattrSet? set))
        {
            int i = set.IndexOf(name);
            if (i >= 0)
            {
                TouchXattr(tx, ino, set.NameAt(i));
                set.RemoveAt(i);
                if (set.Count == 0)
                {
                    _xattrs.Remove(ino);
                }
            }
        }
    }
}
