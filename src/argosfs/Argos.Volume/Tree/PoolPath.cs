using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;

namespace Argos.Volume.Tree;

/// <summary>
/// Paths inside a pool as the CLI takes them: absolute ("/etc/passwd"), '/'-separated, resolved from
/// the pool's root. Failures become <see cref="VolumeException"/>s that name the path (not an inode
/// number) and the fix.
/// </summary>
public static class PoolPath
{
    /// <summary>The path's bytes, checked to be absolute.</summary>
    public static byte[] Parse(string path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            throw new VolumeException(Errno.EINVAL, $"pool path '{path}' is not absolute; paths inside the pool start at its root, e.g. /etc/passwd");
        }
        return Encoding.UTF8.GetBytes(path);
    }

    /// <summary>Resolves a path; the last component is followed only when <paramref name="followLast"/>.</summary>
    public static InodeId Resolve(IFileTree volume, string path, bool followLast = false)
    {
        var bytes = Parse(path);
        try
        {
            return volume.Namespace.Resolve(bytes, followLast);
        }
        catch (NamespaceException e)
        {
            throw Explain(path, e);
        }
    }

    /// <summary>The directory holding the last component, and that component (which need not exist).</summary>
    public static (InodeId Parent, byte[] Name) ResolveParent(ArgosVolume volume, string path)
    {
        var bytes = Parse(path);
        var trimmed = bytes.AsSpan().TrimEnd((byte)'/');
        var slash = trimmed.LastIndexOf((byte)'/');
        var name = trimmed[(slash + 1)..].ToArray();
        if (name.Length == 0 || name is [(byte)'.'] || name is [(byte)'.', (byte)'.'])
        {
            throw new VolumeException(Errno.EINVAL, $"pool path '{path}' does not name an entry in a directory; give a path like /dir/name");
        }
        var parentPath = slash <= 0 ? "/"u8.ToArray() : trimmed[..slash].ToArray();
        InodeId parent;
        try
        {
            parent = volume.Namespace.Resolve(parentPath, followLast: true);
        }
        catch (NamespaceException e)
        {
            throw Explain(Encoding.UTF8.GetString(parentPath), e);
        }
        if (!volume.Namespace.GetAttr(parent).IsDirectory)
        {
            throw new VolumeException(Errno.ENOTDIR, $"'{Encoding.UTF8.GetString(parentPath)}' in the pool is not a directory; '{path}' cannot be created inside it");
        }
        return (parent, name);
    }

    /// <summary>Looks a name up in a directory without throwing when it is missing.</summary>
    public static bool TryLookup(IFileTree volume, InodeId parent, ReadOnlySpan<byte> name, out InodeAttributes attributes)
    {
        try
        {
            attributes = volume.Namespace.Lookup(parent, name);
            return true;
        }
        catch (NamespaceException e) when (e.Errno == Errno.ENOENT)
        {
            attributes = default;
            return false;
        }
    }

    /// <summary>Rewords a namespace failure for a path: what went wrong there, and what to do.</summary>
    public static VolumeException Explain(string path, Exception e)
    {
        var errno = VolumeErrors.ToErrno(e);
        var text = errno switch
        {
            Errno.ENOENT => $"'{path}' does not exist in the pool; check it with 'argosfs ls' on its directory",
            Errno.ENOTDIR => $"a component of '{path}' is not a directory in the pool",
            Errno.EEXIST => $"'{path}' already exists in the pool; remove it first (argosfs rm) or choose another name",
            Errno.ENOTEMPTY => $"directory '{path}' is not empty; remove its contents first or use 'argosfs rm -r'",
            Errno.EISDIR => $"'{path}' is a directory; use 'argosfs rm -r' or rmdir semantics for directories",
            Errno.ELOOP => $"too many symbolic links while resolving '{path}'",
            Errno.ENAMETOOLONG => $"'{path}' has a component over 255 bytes or is longer than 4095 bytes",
            _ => $"{path}: {e.Message}",
        };
        return new VolumeException(errno, text);
    }
}
