using Argos.Format;
using Argos.Metadata.Namespace;

namespace Argos.Volume;

/// <summary>
/// Relatime, logged as lazytime does: a read that moves an atime changes the inode in memory at once
/// (stat sees it) and the inode joins a set that is logged as one transaction per batch, at the next
/// group commit (the interval, the transaction bound, fsync, sync or unmount) or when the set reaches
/// <see cref="AccessTimeBatch"/> inodes. A read never builds a transaction of its own, never waits for
/// a commit, and a crash loses at most the atimes of one interval and nothing else. The set holds inode
/// numbers only (8 bytes each, at most <see cref="AccessTimeBatch"/> of them).
/// </summary>
public sealed partial class ArgosVolume
{
    /// <summary>Inodes whose atimes are logged together at most (a full set is logged by the read that fills it).</summary>
    public const int AccessTimeBatch = 1024;

    private readonly object _accessGate = new();
    private HashSet<ulong> _accessed = [];
    private DateTime _oldestAccess = DateTime.MaxValue;

    /// <summary>
    /// Relatime after a read of <paramref name="ino"/> (file data or a directory listing): sets atime
    /// to now when it is not newer than mtime or ctime, or is a day old; otherwise, and on a
    /// read-only volume, does nothing. The change rides the next group commit (never an fsync of its
    /// own) and does not count toward its transaction bound.
    /// </summary>
    public void NoteAccess(InodeId ino)
    {
        if (ReadOnly)
        {
            return;
        }
        var now = Timespec.Now();
        if (!FsNamespace.ShouldUpdateAtime(_ns.GetAttr(ino), now) || !_ns.SetAtimeUnlogged(ino, now))
        {
            return; // the common case: one read-locked lookup
        }
        HashSet<ulong>? full = null;
        lock (_accessGate)
        {
            if (_accessed.Add(ino.Value) && _accessed.Count == 1) _oldestAccess = DateTime.UtcNow;
            if (_accessed.Count >= AccessTimeBatch) full = TakeAccessedLocked();
        }
        if (full is not null)
        {
            MutateLazy(tx => _ns.LogInodes(tx, full));
        }
    }

    /// <summary>Whether atimes have waited unlogged for <paramref name="interval"/> or more.</summary>
    private bool AccessTimesAged(TimeSpan interval)
    {
        lock (_accessGate)
        {
            return _accessed.Count > 0 && DateTime.UtcNow - _oldestAccess >= interval;
        }
    }

    /// <summary>Logs the atimes set since the last batch as one lazy transaction (under <see cref="_commitGate"/>, no transaction open). True when there were any.</summary>
    private bool LogAccessTimesLocked()
    {
        HashSet<ulong> batch;
        lock (_accessGate)
        {
            if (_accessed.Count == 0) return false;
            batch = TakeAccessedLocked();
        }
        MutateLazy(tx => _ns.LogInodes(tx, batch));
        return true;
    }

    private HashSet<ulong> TakeAccessedLocked()
    {
        var batch = _accessed;
        _accessed = [];
        _oldestAccess = DateTime.MaxValue;
        return batch;
    }
}
