using Argos.Format;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Platform;

namespace Argos.Metadata.Namespace;

/// <summary>
/// The in-memory namespace of a pool: inodes of every type, directory entries with stable readdir
/// cookies, extended attributes (POSIX ACLs included), orphans, stripe maps, and the counters that
/// name new inodes. It is the <see cref="IRecordStore"/> the metadata log replays into and
/// checkpoints from; every mutation records its record changes in a <see cref="NamespaceTransaction"/>.
///
/// Locking:
/// - one <see cref="ReaderWriterLockSlim"/>: queries (Lookup, GetAttr, ReadDirectory, xattr reads,
///   Readlink, Resolve, Stats) take it shared and run concurrently; every mutation and Apply take it
///   exclusive for the duration of one operation (microseconds: no I/O happens under it);
/// - one transaction slot (a semaphore): <see cref="Begin"/> acquires it, disposing the transaction
///   releases it; acquire order is always slot → lock;
/// - open counts (<see cref="PinOpen"/>) have their own small lock, taken inside the namespace lock.
/// <see cref="EnumerateAll"/> takes no lock: the caller quiesces commits (a concurrent mutation is
/// detected and reported).
///
/// Validate-then-mutate: every operation checks everything that can fail before it changes anything;
/// should it still throw midway, the records it touched are restored from their before-images.
/// </summary>
public sealed partial class FsNamespace : IRecordStore, IDisposable
{
    public const int NameMaxBytes = 255;
    /// <summary>PATH_MAX − 1: longest symlink target.</summary>
    public const int SymlinkMaxBytes = 4095;
    /// <summary>Largest file whose data may live inline in its inode record (the data path decides which do).</summary>
    public const int InlineDataMaxBytes = 3072;
    public const int XattrNameMaxBytes = 255;
    public const int XattrValueMaxBytes = 65536;
    /// <summary>Hard links per non-directory (ext4's EXT4_LINK_MAX).</summary>
    public const uint MaxFileLinks = 65000;
    /// <summary>Link count ceiling of a directory (2 + subdirectories).</summary>
    public const uint MaxDirectoryLinks = uint.MaxValue - 1;
    public const ulong DotCookie = 1;
    public const ulong DotDotCookie = 2;
    /// <summary>The cookie of the first real entry of a directory (1 and 2 are '.' and '..').</summary>
    public const ulong FirstCookie = 3;
    /// <summary>Symlinks followed by <see cref="Resolve"/> before ELOOP (Linux MAXSYMLINKS).</summary>
    public const int MaxSymlinkFollows = 40;
    public const ulong DefaultMaxInodes = 1UL << 32;

    private static readonly byte[] s_dot = "."u8.ToArray();
    private static readonly byte[] s_dotDot = ".."u8.ToArray();

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly SemaphoreSlim _txSlot = new(1, 1);
    private readonly Func<Timespec> _clock;
    private readonly Dictionary<ulong, InodeNode> _inodes = [];
    private readonly Dictionary<ulong, DirectoryIndex> _dirs = [];
    private readonly Dictionary<ulong, XattrSet> _xattrs = [];
    private readonly Dictionary<ulong, SortedList<ulong, StripeRecord>> _stripes = [];
    private readonly HashSet<ulong> _orphans = [];
    private readonly Dictionary<ulong, int> _openCounts = [];
    private readonly Dictionary<byte[], byte[]> _opaque = new(NameComparer.Instance);
    private readonly HashSet<DirectoryIndex> _unsorted = [];
    private ulong _nextInode;
    private ulong _generationEpoch;
    private bool _hasCounter;
    private long _version;
    private int _directoryCount;
    private NamespaceTransaction? _activeTx;

    /// <param name="clock">Time source for timestamps (tests pass a fake); defaults to the wall clock.</param>
    /// <param name="maxInodes">Inode ceiling reported by statfs; creates beyond it fail with ENOSPC.</param>
    public FsNamespace(Func<Timespec>? clock = null, ulong maxInodes = DefaultMaxInodes)
    {
        _clock = clock ?? Timespec.Now;
        MaxInodes = maxInodes;
    }

    public ulong MaxInodes { get; }

    /// <summary>Begins a transaction, waiting until the previous one is disposed.</summary>
    public NamespaceTransaction Begin()
    {
        _txSlot.Wait();
        var tx = new NamespaceTransaction(this);
        _activeTx = tx;
        return tx;
    }

    internal void ReleaseTransaction(NamespaceTransaction tx)
    {
        if (ReferenceEquals(_activeTx, tx))
        {
            _activeTx = null;
            _txSlot.Release();
        }
    }

    /// <summary>
    /// Sizes the inode table for a known count (e.g. from the checkpoint being loaded) so that a
    /// large replay does not grow it by doubling, which leaves large-object-heap fragments behind.
    /// </summary>
    public void EnsureCapacity(int inodes)
    {
        _lock.EnterWriteLock();
        try
        {
            _inodes.EnsureCapacity(inodes);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public void Dispose()
    {
        _lock.Dispose();
        _txSlot.Dispose();
    }

    // ---- queries -------------------------------------------------------------------------------

    public InodeAttributes GetAttr(InodeId ino)
    {
        _lock.EnterReadLock();
        try
        {
            return Node(ino.Value).ToAttributes();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public bool TryGetAttr(InodeId ino, out InodeAttributes attributes)
    {
        _lock.EnterReadLock();
        try
        {
            if (_inodes.TryGetValue(ino.Value, out InodeNode? node))
            {
                attributes = node.ToAttributes();
                return true;
            }
            attributes = default;
            return false;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The child named <paramref name="name"/> ("." and ".." included) and its attributes.</summary>
    public InodeAttributes Lookup(InodeId parent, ReadOnlySpan<byte> name)
    {
        _lock.EnterReadLock();
        try
        {
            return Node(LookupCore(parent.Value, name)).ToAttributes();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public bool Exists(InodeId ino)
    {
        _lock.EnterReadLock();
        try
        {
            return _inodes.ContainsKey(ino.Value);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public ReadOnlyMemory<byte> Readlink(InodeId ino)
    {
        _lock.EnterReadLock();
        try
        {
            InodeNode node = Node(ino.Value);
            if (!PosixMode.IsSymlink(node.Mode))
            {
                ThrowHelper.Fail(Errno.EINVAL, $"readlink of inode {ino}: not a symbolic link");
            }
            return node.Data;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Inline data of a regular file (empty when it has none). The memory is immutable.</summary>
    public ReadOnlyMemory<byte> GetInlineData(InodeId ino)
    {
        _lock.EnterReadLock();
        try
        {
            InodeNode node = Node(ino.Value);
            return PosixMode.IsRegular(node.Mode) ? node.Data : ReadOnlyMemory<byte>.Empty;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Whether an inode is an orphan (nlink 0, kept for open handles or an unlinked O_TMPFILE).</summary>
    public bool IsOrphan(InodeId ino)
    {
        _lock.EnterReadLock();
        try
        {
            return _orphans.Contains(ino.Value);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public NamespaceStats Stats()
    {
        _lock.EnterReadLock();
        try
        {
            return new NamespaceStats((ulong)_inodes.Count, (ulong)_directoryCount, (ulong)_orphans.Count, MaxInodes, _nextInode);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Relatime: update atime when it is not newer than mtime or ctime, or is more than a day old.
    /// The caller then sets it with <see cref="SetAtimeUnlogged"/> and logs it with <see cref="LogInodes"/>.
    /// </summary>
    public static bool ShouldUpdateAtime(in InodeAttributes attributes, Timespec now)
    {
        if (attributes.Atime <= attributes.Mtime || attributes.Atime <= attributes.Ctime)
        {
            return true;
        }
        return now.Seconds - attributes.Atime.Seconds >= 24 * 60 * 60;
    }

    /// <summary>
    /// access(2) / FUSE ACCESS: mode bits, or the POSIX access ACL when there is one; uid 0 may read
    /// and write anything and execute anything with an x bit (or any directory).
    /// </summary>
    public bool CheckAccess(InodeId ino, AccessMode mode, in Credentials caller)
    {
        _lock.EnterReadLock();
        try
        {
            return Permits(Node(ino.Value), (uint)mode, caller);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    // ---- shared helpers (lock held) ------------------------------------------------------------

    private Timespec Now() => _clock();

    private InodeNode Node(ulong ino)
    {
        if (!_inodes.TryGetValue(ino, out InodeNode? node))
        {
            ThrowHelper.NoInode(ino);
        }
        return node;
    }

    private InodeNode Directory(ulong ino)
    {
        InodeNode node = Node(ino);
        if (!node.IsDirectory)
        {
            ThrowHelper.Fail(Errno.ENOTDIR, $"inode {ino} is not a directory");
        }
        return node;
    }

    /// <summary>A directory that can take new entries: it exists, is a directory and was not removed.</summary>
    private InodeNode LiveDirectory(ulong ino)
    {
        InodeNode dir = Directory(ino);
        if (dir.Nlink == 0)
        {
            ThrowHelper.Fail(Errno.ENOENT, $"directory {ino} was removed; no entries can be created in it");
        }
        return dir;
    }

    /// <summary>
    /// <see cref="Lookup"/> without the exception for the common miss (a name that is not there: every
    /// O_CREAT|O_EXCL and every PATH search asks): false then. Other failures (not a directory, a bad
    /// name) still throw.
    /// </summary>
    public bool TryLookup(InodeId parent, ReadOnlySpan<byte> name, out InodeAttributes attributes)
    {
        _lock.EnterReadLock();
        try
        {
            var child = LookupCore(parent.Value, name, throwIfMissing: false);
            attributes = child == 0 ? default : Node(child).ToAttributes();
            return child != 0;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private ulong LookupCore(ulong parent, ReadOnlySpan<byte> name, bool throwIfMissing = true)
    {
        InodeNode dir = Directory(parent);
        if (name.Length == 1 && name[0] == (byte)'.')
        {
            return parent;
        }
        if (name.Length == 2 && name[0] == (byte)'.' && name[1] == (byte)'.')
        {
            return dir.Parent == 0 ? parent : dir.Parent;
        }
        ValidateName(name);
        if (_dirs.TryGetValue(parent, out DirectoryIndex? index) && index.TryFind(name, out int slot))
        {
            return index.At(slot).Child;
        }
        if (throwIfMissing) ThrowHelper.NoEntry(parent, name);
        return 0;
    }

    /// <summary>Name rules: 1..255 bytes (ENAMETOOLONG beyond), no '/' or NUL (EINVAL).</summary>
    private static void ValidateName(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0)
        {
            ThrowHelper.Fail(Errno.ENOENT, "empty file name");
        }
        if (name.Length > NameMaxBytes)
        {
            ThrowHelper.Fail(Errno.ENAMETOOLONG, $"file name of {name.Length} bytes exceeds the {NameMaxBytes}-byte limit; use a shorter name");
        }
        if (name.IndexOfAny((byte)'/', (byte)0) >= 0)
        {
            ThrowHelper.Fail(Errno.EINVAL, $"file name '{ThrowHelper.NameText(name)}' contains '/' or NUL; a name is one path component");
        }
    }

    private static bool IsDotName(ReadOnlySpan<byte> name) => Names.IsDotOrDotDot(name);

    private bool Permits(InodeNode node, uint want, in Credentials caller)
    {
        want &= 7;
        if (caller.IsRoot)
        {
            if ((want & 1) == 0 || node.IsDirectory)
            {
                return true;
            }
            return (node.Mode & (PosixMode.S_IXUSR | PosixMode.S_IXGRP | PosixMode.S_IXOTH)) != 0;
        }
        if (TryGetXattrValue(node.Ino, PosixAcl.AccessXattrName, out byte[]? acl) && PosixAcl.TryParse(acl, out PosixAcl.Entry[] entries)
            && entries.Length > 0)
        {
            return PosixAcl.Permits(entries, node.Uid, node.Gid, caller, want);
        }
        uint bits;
        if (caller.Uid == node.Uid)
        {
            bits = (node.Mode >> 6) & 7;
        }
        else if (caller.InGroup(node.Gid))
        {
            bits = (node.Mode >> 3) & 7;
        }
        else
        {
            bits = node.Mode & 7;
        }
        return (bits & want) == want;
    }

    private bool TryGetXattrValue(ulong ino, ReadOnlySpan<byte> name, out byte[]? value)
    {
        if (_xattrs.TryGetValue(ino, out XattrSet? set))
        {
            int i = set.IndexOf(name);
            if (i >= 0)
            {
                value = set.ValueAt(i);
                return true;
            }
        }
        value = null;
        return false;
    }

    private int OpenCount(ulong ino)
    {
        lock (_openCounts)
        {
            return _openCounts.TryGetValue(ino, out int n) ? n : 0;
        }
    }
}
