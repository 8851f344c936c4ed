using Argos.DataPath.Stripes;
using Argos.Format;
using Argos.Platform;

namespace Argos.Volume;

/// <summary>
/// Space for buffered writes, taken when a write is accepted. A file's data is stored when it is
/// closed (RELEASE), by the group commit or by fsync, and the kernel does not wait for a close
/// (FOPEN_NOFLUSH): without a reservation a full pool would only show as a failed store in the log
/// and as an error from a later fsync, and a program that never calls fsync (cp, tar) would report
/// success for data it lost. So a WRITE reserves, on the members, the largest shards the stripes it
/// dirties can need, and fails with ENOSPC when they do not fit; the reservation goes when the
/// stripe's record commits or the stripe is dropped. This is ext4's delayed-allocation rule.
///
/// The count is conservative: every buffered stripe is assumed to put its largest shard on every
/// member (exact when the pool has k+m members, the usual case; a wider pool says ENOSPC a little
/// early when nearly full), a stripe is assumed not to compress, and an overwrite reserves its whole
/// new copy (stripes are copy-on-write). A stored stripe's extents and its reservation overlap for a
/// moment between allocation and commit, which errs the same way.
/// </summary>
public sealed partial class ArgosVolume
{
    private readonly object _reserveGate = new();
    private long _reservedShardBytes;

    /// <summary>Bytes per member held for buffered stripes not yet stored (statfs leaves them out of the free space).</summary>
    public long ReservedBytesPerMember
    {
        get { lock (_reserveGate) return _reservedShardBytes; }
    }

    /// <summary>
    /// Bytes new data may still take, summed over the present members: free space less the checkpoint
    /// reserve and less what buffered writes hold (statfs's f_bavail, before parity).
    /// </summary>
    public long AvailableBytes()
    {
        lock (_reserveGate)
        {
            long sum = 0;
            foreach (var m in _log.PresentMembers) sum += Math.Max(0, _log.Allocator.DataAvailableBytes(m) - _reservedShardBytes);
            return sum;
        }
    }

    /// <summary>The largest shard a stripe of <paramref name="rawLength"/> bytes puts on one member, and how many members it needs.</summary>
    private int WorstShardBytes(int rawLength, out int shardCount)
    {
        var kind = rawLength <= Settings.ReplicationThresholdBytes ? StripeLayoutKind.Replicated : StripeLayoutKind.ErasureCoded;
        shardCount = kind == StripeLayoutKind.Replicated ? M + 1 : K + M;
        return StripeCodec.ShardBufferLength(kind, K, M, rawLength) / shardCount;
    }

    /// <summary>
    /// Reserves room for a write of stripes [<paramref name="first"/>, <paramref name="last"/>] that
    /// leaves the file <paramref name="newSize"/> bytes long (the file's gate is held); ENOSPC, with
    /// nothing changed, when it does not fit.
    /// </summary>
    private void ReserveForWriteLocked(FileBuffer fb, ulong first, ulong last, ulong newSize)
    {
        var s = (ulong)StripeDataBytes;
        long delta = 0;
        var shardCount = 0;
        List<(ulong Index, long Need)>? changes = null;
        void Consider(ulong index)
        {
            var start = index * s;
            if (start >= newSize) return;
            long need = WorstShardBytes((int)Math.Min(s, newSize - start), out var count);
            var have = fb.Reserved.GetValueOrDefault(index);
            if (need <= have) return;
            (changes ??= new()).Add((index, need));
            delta += need - have;
            shardCount = Math.Max(shardCount, count);
        }
        for (var index = first; index <= last; index++) Consider(index);
        // A stored stripe is min(stripe, size - start) long: a buffered stripe that was the last one
        // grows with the file.
        if (fb.Size > 0 && (fb.Size - 1) / s < first && fb.Dirty.ContainsKey((fb.Size - 1) / s)) Consider((fb.Size - 1) / s);
        if (changes is null) return;
        if (!TryReserve(delta, shardCount, out var problem))
        {
            // Space freed by unlinks and overwrites is reused only once the transaction that freed it
            // is durable (I-12): commit now and try again, as ext4 waits for its journal before ENOSPC.
            var pending = _log.Allocator.PendingCount > 0;
            if (pending)
            {
                lock (_commitGate) FlushLogLocked();
            }
            if (!pending || !TryReserve(delta, shardCount, out problem)) throw new VolumeException(Errno.ENOSPC, problem!);
        }
        foreach (var (index, need) in changes) fb.Reserved[index] = need;
    }

    private bool TryReserve(long delta, int shardCount, out string? problem)
    {
        problem = null;
        lock (_reserveGate)
        {
            var after = _reservedShardBytes + delta;
            var present = _log.PresentMembers;
            if (present.Count < shardCount)
            {
                problem = $"no space for this write: a stripe needs {shardCount} distinct members and only {present.Count} are present; bring the missing members back";
                return false;
            }
            var fits = 0;
            long best = 0;
            foreach (var m in present)
            {
                var available = _log.Allocator.DataAvailableBytes(m);
                best = Math.Max(best, available);
                if (available >= after) fits++;
            }
            if (fits < shardCount)
            {
                problem = (
                    $"no space for this write: it needs {delta} more bytes on each of {shardCount} members, " +
                    $"{_reservedShardBytes} bytes per member are already held for buffered data, and only {fits} of {present.Count} members have room " +
                    $"(the most on one is {Math.Max(0, best) >> 20} MiB); delete files, or snapshots that keep old data (`argosfs snapshot delete`)");
                return false;
            }
            _reservedShardBytes = after;
            return true;
        }
    }

    /// <summary>Gives back the reservation of one stripe of a file (the file's gate is held).</summary>
    private void ReleaseReservedLocked(FileBuffer fb, ulong index)
    {
        if (!fb.Reserved.Remove(index, out var bytes)) return;
        lock (_reserveGate) _reservedShardBytes -= bytes;
    }

    /// <summary>Gives back every reservation of a file (the file's gate is held).</summary>
    private void ReleaseAllReservedLocked(FileBuffer fb)
    {
        if (fb.Reserved.Count == 0) return;
        long bytes = 0;
        foreach (var b in fb.Reserved.Values) bytes += b;
        fb.Reserved.Clear();
        lock (_reserveGate) _reservedShardBytes -= bytes;
    }
}
