using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Argos.Platform.Interop;

namespace Argos.Volume.Tree;

/// <summary>
/// Copies a host directory tree into a pool directory, keeping everything a root file system needs:
/// regular files (holes stay holes), directories, symlinks, hard links (one pool inode per host
/// (st_dev, st_ino), so nlink counts the links inside the tree), character and block devices (rdev),
/// FIFOs, sockets, owner, group, mode with setuid/setgid/sticky, nanosecond atime and mtime, and
/// extended attributes in every namespace as raw bytes (security.capability, trusted.*, POSIX ACLs).
/// ctime cannot be set and birth time is the import time.
///
/// Order per inode, because later steps undo earlier ones otherwise:
///   1. create, then owner, group and mode in the same transaction (mode last keeps setuid/setgid);
///   2. data, flushed (a write drops security.capability, as on Linux);
///   3. xattrs (names the source lacks, e.g. an inherited default ACL, are removed);
///   4. atime and mtime (every earlier step bumps mtime or ctime).
/// Directories get steps 1 (owner, mode), 3 and 4 after their contents, so their default ACL is not
/// inherited by the imported children and their mtime is the source's.
/// The top SOURCE directory's attributes go onto DEST (like `cp -a SOURCE/. DEST`).
///
/// Commits are batched (<see cref="TreeImportOptions.BatchEntries"/> entries or
/// <see cref="TreeImportOptions.BatchBytes"/> bytes, then once at the end); open the volume with a
/// large CommitMaxTransactions so the group commit does not flush more often.
/// </summary>
public sealed class TreeImporter
{
    private readonly ArgosVolume _volume;
    private readonly FsNamespace _ns;
    private readonly TreeImportOptions _options;
    private readonly Dictionary<(ulong Dev, ulong Ino), InodeId> _links = [];
    private readonly byte[] _buffer;
    private readonly int _parallelism;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<byte[]> _buffers = [];
    private readonly List<Task> _inflight = [];
    private Exception? _workerFailure;
    private readonly List<string> _skipped = [];
    private readonly Stopwatch _clock = new();
    private readonly HashSet<byte[]> _excluded = new(ByteArrayComparer.Instance);
    private readonly HashSet<(ulong Dev, ulong Ino)> _members = [];
    private ulong _rootDev;
    private long _files, _dirs, _symlinks, _specials, _hardLinks, _bytes, _dataBytes, _xattrs;
    private int _commits;
    private int _entriesSinceCommit;
    private long _bytesSinceCommit;

    public TreeImporter(ArgosVolume volume, TreeImportOptions? options = null)
    {
        _volume = volume;
        _ns = volume.Namespace;
        _options = options ?? new TreeImportOptions();
        _buffer = new byte[volume.StripeDataBytes];
        _parallelism = Math.Clamp(_options.Parallelism, 1, 64);
        _slots = new SemaphoreSlim(_parallelism, _parallelism);
    }

    /// <summary>Imports the contents of host directory <paramref name="source"/> into pool directory <paramref name="destination"/>.</summary>
    public TreeCopyResult Import(string source, string destination = "/")
    {
        _volume.ThrowIfReadOnly("import-tree");
        _clock.Restart();
        var sourcePath = Encoding.UTF8.GetBytes(source.Length > 1 ? source.TrimEnd('/') : source);
        if (!LibC.TryLStat(sourcePath, out var top, out var errno))
        {
            throw new VolumeException(errno, $"import source '{source}': {errno}; give an existing directory on this machine");
        }
        if (!top.IsDirectory)
        {
            throw new VolumeException(Errno.ENOTDIR, $"import source '{source}' is not a directory; use 'argosfs put' for a single file");
        }
        var dest = PoolPath.Resolve(_volume, destination, followLast: true);
        if (!_ns.GetAttr(dest).IsDirectory)
        {
            throw new VolumeException(Errno.ENOTDIR, $"import destination '{destination}' is not a directory in the pool; create it with 'argosfs mkdir -p {destination}'");
        }
        _rootDev = DevOf(top);
        foreach (var member in _volume.Info.Members)
        {
            // The pool's own image files must not be copied into it (importing / with images under /var).
            if (member.Path is { } p && LibC.TryLStat(Encoding.UTF8.GetBytes(p), out var ms, out _) && ms.IsRegular)
            {
                _members.Add((DevOf(ms), ms.Inode));
            }
        }
        foreach (var rel in _options.Exclude)
        {
            var trimmed = rel.Trim('/');
            if (trimmed.Length == 0 || trimmed.Split('/').Any(c => c is "." or ".."))
            {
                throw new VolumeException(Errno.EINVAL, $"exclude '{rel}' must be a path inside SOURCE without '.' or '..', e.g. proc or var/cache");
            }
            _excluded.Add(Encoding.UTF8.GetBytes((sourcePath is [(byte)'/'] ? "" : LibC.Display(sourcePath)) + "/" + trimmed));
        }
        try
        {
            ImportChildren(sourcePath, dest, fresh: false);
            Drain();
        }
        catch
        {
            // Let the copies in flight end before the caller closes the volume under them.
            lock (_inflight)
            {
                Task.WhenAll(_inflight).ContinueWith(static _ => { }).Wait();
            }
            throw;
        }
        ApplyDirectoryAttributes(sourcePath, dest, top);
        Commit();
        _clock.Stop();
        return Result();
    }

    private TreeCopyResult Result() => new()
    {
        Files = _files,
        Directories = _dirs,
        Symlinks = _symlinks,
        Specials = _specials,
        HardLinks = _hardLinks,
        Bytes = _bytes,
        DataBytes = _dataBytes,
        Xattrs = _xattrs,
        Commits = _commits,
        Elapsed = _clock.Elapsed,
        Skipped = _skipped,
    };

    private static ulong DevOf(in HostStat st) => ((ulong)st.DevMajor << 32) | st.DevMinor;

    private void ImportChildren(byte[] path, InodeId dir, bool fresh)
    {
        List<byte[]> names;
        try
        {
            names = LibC.ReadDirectoryNames(path);
        }
        catch (SystemCallException e) when (_options.SkipErrors)
        {
            Skip(path, e);
            return;
        }
        catch (SystemCallException e)
        {
            throw SourceError(path, e);
        }
        names.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        HashSet<byte[]>? existing = null;
        if (!fresh)
        {
            // Merging into a directory that already has entries: look names up; a fresh one is empty.
            existing = new HashSet<byte[]>(ByteArrayComparer.Instance);
            var entries = new List<DirEntry>();
            ulong cookie = 0;
            while (_ns.ReadDirectory(dir, cookie, 1024, entries) > 0)
            {
                cookie = entries[^1].Cookie;
                foreach (var e in entries) existing.Add(e.Name.ToArray());
                entries.Clear();
            }
        }
        foreach (var name in names)
        {
            var child = new byte[path.Length + 1 + name.Length];
            path.CopyTo(child, 0);
            child[path.Length] = (byte)'/';
            name.CopyTo(child, path.Length + 1);
            if (path is [(byte)'/'])
            {
                child = child[1..];
            }
            if (_excluded.Count > 0 && _excluded.Contains(child))
            {
                continue;
            }
            ImportEntry(child, name, dir, existing);
        }
    }

    private void ImportEntry(byte[] path, byte[] name, InodeId parent, HashSet<byte[]>? existing)
    {
        if (!LibC.TryLStat(path, out var st, out var errno))
        {
            var e = new SystemCallException("lstat", LibC.Display(path), errno);
            if (_options.SkipErrors) { Skip(path, e); return; }
            throw SourceError(path, e);
        }
        if (st.IsDirectory)
        {
            ImportDirectory(path, name, parent, st, existing);
            return;
        }
        if (st.IsRegular && _members.Contains((DevOf(st), st.Inode)))
        {
            Skip(path, new IOException("it is a member image of this pool; left out"));
            return;
        }
        if (existing is not null && existing.Contains(name))
        {
            throw new VolumeException(Errno.EEXIST,
                $"'{LibC.Display(path)}': the destination already has an entry named '{LibC.Display(name)}'; remove it from the pool (argosfs rm) or import into an empty directory");
        }
        if (st.Nlink > 1 && _links.TryGetValue((DevOf(st), st.Inode), out var linked))
        {
            _volume.Mutate(tx => _ns.Link(tx, linked, parent, name));
            _hardLinks++;
            Counted(path, 0);
            return;
        }

        // Read everything that can fail on the source side before the pool changes.
        List<(byte[] Name, byte[] Value)> xattrs;
        byte[]? target = null;
        FileDescriptorHandle? fd = null;
        try
        {
            xattrs = ReadXattrs(path);
            if (st.IsSymlink)
            {
                target = LibC.ReadLink(path);
            }
            else if (st.IsRegular)
            {
                fd = LibC.OpenPath(path, LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_NOATIME);
            }
        }
        catch (SystemCallException e) when (_options.SkipErrors)
        {
            fd?.Dispose();
            Skip(path, e);
            return;
        }
        catch (SystemCallException e)
        {
            fd?.Dispose();
            throw SourceError(path, e);
        }

        InodeId ino;
        try
        {
            ino = CreateNode(path, name, parent, st, target);
        }
        catch
        {
            fd?.Dispose();
            throw;
        }
        if (st.IsRegular)
        {
            Interlocked.Increment(ref _files);
            Interlocked.Add(ref _bytes, (long)st.SizeBytes);
        }
        else if (st.IsSymlink)
        {
            _symlinks++;
        }
        else
        {
            _specials++;
        }
        if (fd is null)
        {
            ApplyXattrsAndTimes(path, ino, st, xattrs, setOwner: false);
        }
        else if (st.Nlink > 1 || _parallelism == 1)
        {
            // Hard-linked files are copied in line: their other names must not see a file that may still fail.
            if (!CopyFile(path, name, parent, ino, st, xattrs, fd, _buffer)) return;
        }
        else
        {
            StartCopy(path, name, parent, ino, st, xattrs, fd);
        }
        if (st.Nlink > 1)
        {
            _links[(DevOf(st), st.Inode)] = ino;
        }
        Counted(path, st.IsRegular ? (long)st.SizeBytes : 0);
    }

    /// <summary>Data, flush, xattrs, times of one regular file (any thread). False when it was skipped.</summary>
    private bool CopyFile(byte[] path, byte[] name, InodeId parent, InodeId ino, HostStat st, List<(byte[] Name, byte[] Value)> xattrs,
        FileDescriptorHandle fd, byte[] buffer)
    {
        using (fd)
        {
            try
            {
                Interlocked.Add(ref _dataBytes, FileData.CopyIn(_volume, fd, LibC.Display(path), ino, st.SizeBytes, buffer));
            }
            catch (SourceReadException e)
            {
                // A source read failed halfway: the half-copied file goes.
                _volume.Mutate(tx => _ns.Unlink(tx, parent, name));
                if (_options.SkipErrors)
                {
                    Skip(path, e);
                    Interlocked.Decrement(ref _files);
                    Interlocked.Add(ref _bytes, -(long)st.SizeBytes);
                    return false;
                }
                throw SourceError(path, e);
            }
        }
        _volume.Flush(ino);
        ApplyXattrsAndTimes(path, ino, st, xattrs, setOwner: false);
        return true;
    }

    /// <summary>
    /// Copies a file's data on a worker (at most <see cref="_parallelism"/> at once) so stripes are
    /// compressed and encoded on every core while this thread walks on. The namespace walk, entry
    /// creation and hard links stay on this thread; a worker touches only its own inode.
    /// </summary>
    private void StartCopy(byte[] path, byte[] name, InodeId parent, InodeId ino, HostStat st, List<(byte[] Name, byte[] Value)> xattrs,
        FileDescriptorHandle fd)
    {
        ThrowIfWorkerFailed();
        _slots.Wait();
        if (!_buffers.TryTake(out var buffer))
        {
            buffer = new byte[_volume.StripeDataBytes];
        }
        var task = Task.Run(() =>
        {
            try
            {
                CopyFile(path, name, parent, ino, st, xattrs, fd, buffer);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _workerFailure, e, null);
            }
            finally
            {
                _buffers.Add(buffer);
                _slots.Release();
            }
        });
        lock (_inflight)
        {
            _inflight.RemoveAll(t => t.IsCompleted);
            _inflight.Add(task);
        }
    }

    /// <summary>Waits for every file copy in flight; rethrows the first failure.</summary>
    private void Drain()
    {
        Task[] pending;
        lock (_inflight)
        {
            pending = _inflight.ToArray();
            _inflight.Clear();
        }
        Task.WaitAll(pending);
        ThrowIfWorkerFailed();
    }

    private void ThrowIfWorkerFailed()
    {
        if (Volatile.Read(ref _workerFailure) is { } e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
        }
    }

    private void ImportDirectory(byte[] path, byte[] name, InodeId parent, in HostStat st, HashSet<byte[]>? existing)
    {
        InodeId dir;
        bool fresh;
        if (existing is not null && existing.Contains(name))
        {
            var attr = _ns.Lookup(parent, name);
            if (!attr.IsDirectory)
            {
                throw new VolumeException(Errno.EEXIST,
                    $"'{LibC.Display(path)}' is a directory but the destination has a non-directory named '{LibC.Display(name)}'; remove it from the pool (argosfs rm) first");
            }
            dir = attr.Ino;
            fresh = false;
        }
        else
        {
            dir = _volume.Mutate(tx => _ns.Mkdir(tx, parent, name, 0x1C0 /* 0700 until its contents are in */, Credentials.Root)).Ino;
            fresh = true;
        }
        if (!_options.OneFileSystem || DevOf(st) == _rootDev)
        {
            ImportChildren(path, dir, fresh);
        }
        ApplyDirectoryAttributes(path, dir, st);
        _dirs++;
        Counted(path, 0);
    }

    private void ApplyDirectoryAttributes(byte[] path, InodeId dir, in HostStat st)
    {
        List<(byte[] Name, byte[] Value)> xattrs;
        try
        {
            xattrs = ReadXattrs(path);
        }
        catch (SystemCallException e) when (_options.SkipErrors)
        {
            Skip(path, e);
            xattrs = [];
        }
        catch (SystemCallException e)
        {
            throw SourceError(path, e);
        }
        ApplyXattrsAndTimes(path, dir, st, xattrs, setOwner: true);
    }

    private InodeId CreateNode(byte[] path, byte[] name, InodeId parent, HostStat st, byte[]? target)
    {
        var perm = st.Mode & PosixMode.PermissionMask;
        try
        {
            return _volume.Mutate(tx =>
            {
                InodeAttributes a;
                if (st.IsSymlink)
                {
                    a = _ns.Symlink(tx, parent, name, target, Credentials.Root);
                }
                else
                {
                    var rdev = st.IsDevice ? DeviceNumber.Encode(st.RdevMajor, st.RdevMinor) : 0;
                    a = _ns.Mknod(tx, parent, name, st.Type | perm, rdev, Credentials.Root);
                }
                _ns.SetAttr(tx, a.Ino, new SetAttrRequest { Uid = st.Uid, Gid = st.Gid, Mode = st.IsSymlink ? null : perm }, Credentials.Root);
                return a.Ino;
            });
        }
        catch (NamespaceException e)
        {
            throw new VolumeException(e.Errno, $"'{LibC.Display(path)}' cannot be created in the pool: {e.Message}");
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new VolumeException(Errno.EINVAL, $"'{LibC.Display(path)}': {e.Message}");
        }
    }

    private void ApplyXattrsAndTimes(byte[] path, InodeId ino, HostStat st, List<(byte[] Name, byte[] Value)> xattrs, bool setOwner)
    {
        try
        {
            _volume.Mutate(tx =>
            {
                if (setOwner)
                {
                    _ns.SetAttr(tx, ino, new SetAttrRequest { Uid = st.Uid, Gid = st.Gid, Mode = st.Mode & PosixMode.PermissionMask }, Credentials.Root);
                }
                foreach (var present in _ns.ListXattr(ino, Credentials.Root))
                {
                    if (!xattrs.Exists(x => x.Name.AsSpan().SequenceEqual(present.Span)))
                    {
                        _ns.RemoveXattr(tx, ino, present.Span, Credentials.Root);
                    }
                }
                foreach (var (n, v) in xattrs)
                {
                    _ns.SetXattr(tx, ino, n, v, XattrFlags.None, Credentials.Root);
                }
                _ns.SetAttr(tx, ino, new SetAttrRequest
                {
                    Atime = TimeChange.At(new Timespec(st.Atime.Seconds, st.Atime.Nanoseconds)),
                    Mtime = TimeChange.At(new Timespec(st.Mtime.Seconds, st.Mtime.Nanoseconds)),
                }, Credentials.Root);
            });
        }
        catch (NamespaceException e)
        {
            throw new VolumeException(e.Errno, $"'{LibC.Display(path)}': its attributes cannot be stored in the pool: {e.Message}");
        }
        Interlocked.Add(ref _xattrs, xattrs.Count);
    }

    private static List<(byte[] Name, byte[] Value)> ReadXattrs(byte[] path)
    {
        var names = LibC.ListXattrs(path);
        var list = new List<(byte[], byte[])>(names.Count);
        foreach (var n in names)
        {
            try
            {
                list.Add((n, LibC.GetXattr(path, n)));
            }
            catch (SystemCallException e) when (e.Errno == Errno.ENODATA)
            {
                // Removed between list and get.
            }
        }
        return list;
    }

    private void Counted(byte[] path, long bytes)
    {
        _entriesSinceCommit++;
        _bytesSinceCommit += bytes;
        if (_entriesSinceCommit >= _options.BatchEntries || _bytesSinceCommit >= _options.BatchBytes)
        {
            Commit();
        }
        _options.Progress?.Invoke(new TreeProgress(_files + _dirs + _symlinks + _specials + _hardLinks, _files, _dirs, _bytes, _clock.Elapsed, LibC.Display(path)));
    }

    private void Commit()
    {
        Drain();
        _volume.Sync();
        _commits++;
        _entriesSinceCommit = 0;
        _bytesSinceCommit = 0;
    }

    private void Skip(byte[] path, Exception e)
    {
        lock (_skipped)
        {
            _skipped.Add($"{LibC.Display(path)}: {e.Message}");
        }
    }

    private static VolumeException SourceError(byte[] path, Exception e)
    {
        var errno = VolumeErrors.ToErrno(e);
        return new VolumeException(errno,
            $"cannot read '{LibC.Display(path)}' ({e.Message}); make it readable (run as root, fix its mode) or pass --skip-errors to import the rest and list what was left out");
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var h = default(HashCode);
            h.AddBytes(obj);
            return h.ToHashCode();
        }
    }
}
