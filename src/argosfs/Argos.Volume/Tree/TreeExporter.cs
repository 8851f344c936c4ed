using System.Diagnostics;
using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Argos.Platform.Interop;

namespace Argos.Volume.Tree;

/// <summary>
/// Copies a pool directory tree onto the host (the reverse of <see cref="TreeImporter"/>; the volume
/// may be open read-only and degraded; the source may be a snapshot's view). Per inode: create (regular files get their data ranges
/// written and their size set with ftruncate, so pool holes stay holes), lchown, chmod (after
/// lchown, which clears setuid/setgid), xattrs (after both: chown drops security.capability), then
/// utimensat with nanoseconds, last. Directories get owner, mode, xattrs and times after their
/// contents. Hard links (nlink &gt; 1) are made with link(2) to the first name exported. The pool
/// directory's own attributes go onto DEST.
/// </summary>
public sealed class TreeExporter
{
    private static readonly byte[] s_defaultAcl = "system.posix_acl_default"u8.ToArray();

    private readonly IFileTree _volume;
    private readonly FsNamespace _ns;
    private readonly TreeExportOptions _options;
    private readonly Dictionary<ulong, byte[]> _links = [];
    private readonly byte[] _buffer;
    private readonly Stopwatch _clock = new();
    private long _files, _dirs, _symlinks, _specials, _hardLinks, _bytes, _dataBytes, _xattrs;

    public TreeExporter(IFileTree volume, TreeExportOptions? options = null)
    {
        _volume = volume;
        _ns = volume.Namespace;
        _options = options ?? new TreeExportOptions();
        _buffer = new byte[volume.StripeDataBytes];
    }

    /// <summary>Exports pool directory <paramref name="poolDirectory"/> into host directory <paramref name="destination"/> (created if missing, else it must be empty).</summary>
    public TreeCopyResult Export(string destination, string poolDirectory = "/")
    {
        _clock.Restart();
        var root = PoolPath.Resolve(_volume, poolDirectory, followLast: true);
        var rootAttr = _volume.GetAttr(root);
        if (!rootAttr.IsDirectory)
        {
            throw new VolumeException(Errno.ENOTDIR, $"'{poolDirectory}' is not a directory in the pool; use 'argosfs get' for a single file");
        }
        var dest = Encoding.UTF8.GetBytes(destination.Length > 1 ? destination.TrimEnd('/') : destination);
        if (LibC.TryLStat(dest, out var st, out var errno))
        {
            if (!st.IsDirectory)
            {
                throw new VolumeException(Errno.ENOTDIR, $"export destination '{destination}' exists and is not a directory; give a new or empty directory");
            }
            if (LibC.ReadDirectoryNames(dest).Count > 0)
            {
                throw new VolumeException(Errno.ENOTEMPTY, $"export destination '{destination}' is not empty; export into a new or empty directory");
            }
            // Its default ACL would be inherited by everything created below; the pool's goes on at the end.
            LibC.TryRemoveXattr(dest, s_defaultAcl);
        }
        else if (errno == Errno.ENOENT)
        {
            Host(dest, () => LibC.MakeDirectory(dest, 0x1C0));
        }
        else
        {
            throw new VolumeException(errno, $"export destination '{destination}': {errno}; check the path");
        }
        ExportChildren(root, dest);
        ApplyAttributes(dest, rootAttr, removeOthers: true);
        _clock.Stop();
        return new TreeCopyResult
        {
            Files = _files,
            Directories = _dirs,
            Symlinks = _symlinks,
            Specials = _specials,
            HardLinks = _hardLinks,
            Bytes = _bytes,
            DataBytes = _dataBytes,
            Xattrs = _xattrs,
            Elapsed = _clock.Elapsed,
        };
    }

    private void ExportChildren(InodeId dir, byte[] hostDir)
    {
        var entries = new List<DirEntryPlus>();
        ulong cookie = FsNamespace.DotDotCookie;
        int n;
        while ((n = _ns.ReadDirectoryPlus(dir, cookie, 1024, entries)) > 0)
        {
            cookie = entries[^1].Entry.Cookie;
        }
        foreach (var e in entries)
        {
            var name = e.Entry.Name.Span;
            var path = new byte[hostDir.Length + 1 + name.Length];
            hostDir.CopyTo(path, 0);
            path[hostDir.Length] = (byte)'/';
            name.CopyTo(path.AsSpan(hostDir.Length + 1));
            ExportEntry(e.Entry.Ino, path);
        }
    }

    private void ExportEntry(InodeId ino, byte[] path)
    {
        var attr = _volume.GetAttr(ino);
        if (attr.IsDirectory)
        {
            Host(path, () => LibC.MakeDirectory(path, 0x1C0));
            ExportChildren(ino, path);
            ApplyAttributes(path, attr, removeOthers: false);
            _dirs++;
            Counted(path);
            return;
        }
        if (attr.Nlink > 1 && _links.TryGetValue(ino.Value, out var first))
        {
            Host(path, () => LibC.Link(first, path));
            _hardLinks++;
            Counted(path);
            return;
        }
        switch (attr.Type)
        {
            case FileType.Regular:
                using (var fd = Host(path, () => LibC.OpenPath(path, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW, 0x180)))
                {
                    try
                    {
                        _dataBytes += FileData.CopyOut(_volume, ino, fd, LibC.Display(path), _buffer);
                    }
                    catch (Exception e) when (e is not VolumeException and not SystemCallException)
                    {
                        // A key error already says how to give the key; only damage calls for fsck.
                        Errno errno = VolumeErrors.ToErrno(e);
                        string hint = errno == Errno.EIO ? "; run 'argosfs fsck --full' (and --repair)" : "";
                        throw new VolumeException(errno, $"reading the pool's data for '{LibC.Display(path)}' failed: {errno}: {e.Message}{hint}");
                    }
                }
                _files++;
                _bytes += (long)attr.Size;
                break;
            case FileType.Symlink:
                var target = _ns.Readlink(ino).ToArray();
                Host(path, () => LibC.Symlink(target, path));
                _symlinks++;
                break;
            case FileType.CharDevice or FileType.BlockDevice:
                Host(path, () => LibC.MakeNode(path, (uint)attr.Type | 0x180, DeviceNumber.Major(attr.Rdev), DeviceNumber.Minor(attr.Rdev)));
                _specials++;
                break;
            case FileType.Fifo or FileType.Socket:
                Host(path, () => LibC.MakeNode(path, (uint)attr.Type | 0x180, 0, 0));
                _specials++;
                break;
            default:
                throw new VolumeException(Errno.EIO, $"inode {ino} ('{LibC.Display(path)}') has an unknown type (mode 0x{attr.Mode:x}); run 'argosfs fsck'");
        }
        ApplyAttributes(path, attr, removeOthers: false);
        if (attr.Nlink > 1)
        {
            _links[ino.Value] = path;
        }
        Counted(path);
    }

    private void ApplyAttributes(byte[] path, InodeAttributes attr, bool removeOthers)
    {
        var symlink = attr.Type == FileType.Symlink;
        Host(path, () => LibC.LChown(path, attr.Uid, attr.Gid));
        if (!symlink)
        {
            Host(path, () => LibC.Chmod(path, attr.Mode & PosixMode.PermissionMask));
        }
        var names = _ns.ListXattr(attr.Ino, Credentials.Root);
        if (removeOthers)
        {
            foreach (var present in Host(path, () => LibC.ListXattrs(path)))
            {
                if (!names.Any(n => n.Span.SequenceEqual(present)))
                {
                    Host(path, () => LibC.TryRemoveXattr(path, present));
                }
            }
        }
        foreach (var name in names)
        {
            var value = _ns.GetXattr(attr.Ino, name.Span, Credentials.Root);
            Host(path, () => LibC.SetXattr(path, name.Span, value.Span));
            _xattrs++;
        }
        Host(path, () => LibC.SetTimes(path, new HostTime(attr.Atime.Seconds, attr.Atime.Nanoseconds), new HostTime(attr.Mtime.Seconds, attr.Mtime.Nanoseconds)));
    }

    private void Counted(byte[] path) =>
        _options.Progress?.Invoke(new TreeProgress(_files + _dirs + _symlinks + _specials + _hardLinks, _files, _dirs, _bytes, _clock.Elapsed, LibC.Display(path)));

    private static void Host(byte[] path, Action action) => Host(path, () => { action(); return 0; });

    /// <summary>Runs a host call; a failure names the destination path and keeps the call's hint.</summary>
    private static T Host<T>(byte[] path, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (SystemCallException e)
        {
            throw new VolumeException(e.Errno, $"export to '{LibC.Display(path)}' failed: {e.Message}" + (e.Hint is null ? "; check the destination file system (space, permissions, xattr and ACL support)" : ""));
        }
    }
}
