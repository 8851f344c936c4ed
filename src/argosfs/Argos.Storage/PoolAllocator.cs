// Space allocator over every member's data region (docs/format.md §5.2).
//
// Extent life cycle:
//   Allocate            → provisional: allocated in memory, not yet named by any committed transaction.
//                         Excluded from checkpoints, so a crash returns it to free space (no leak).
//   Commit(put)         → committed: the log saw the AllocExtent put in an appended transaction.
//   Release             → a provisional extent the caller gave up on: free at once (never referenced).
//   FreeAfter(e, txid)  → pending: still allocated in memory until MarkDurable(≥ txid), so it is never
//                         reused before the transaction that freed it is durable (I-12). Checkpoints record
//                         pending extents as free (a checkpoint is written only once its txid is durable).
//   ENOSPC: data allocations keep ReserveBytes free on each member for metadata checkpoints (I-13).
using Argos.Format;
using Argos.Format.Pool;

namespace Argos.Storage;

public sealed class PoolAllocator
{
    private readonly object _gate = new();
    private readonly SortedDictionary<int, MemberBitmap> _members = new();
    private readonly Dictionary<Extent, byte> _provisional = new();
    private readonly List<(Extent Extent, TxId Until, bool UntilCheckpoint)> _pending = new();

    /// <summary>Free bytes per member that data allocations may not use (room for checkpoints).</summary>
    public long ReserveBytes { get; set; } = 8 * MemberLayout.MiB;

    public void AddMember(MemberIndex member, long dataOffset, long dataLength)
    {
        lock (_gate)
        {
            _members[member.Value] = new MemberBitmap(member, dataOffset, dataLength);
        }
    }

    public bool HasMember(MemberIndex member)
    {
        lock (_gate) return _members.ContainsKey(member.Value);
    }

    public IReadOnlyList<MemberIndex> Members
    {
        get { lock (_gate) return _members.Keys.Select(k => new MemberIndex(k)).ToList(); }
    }

    /// <summary>Allocates a contiguous, 4 KiB-aligned extent for data (provisional until committed).</summary>
    public Extent Allocate(MemberIndex member, long lengthBytes) => AllocateCore(member, lengthBytes, provisional: true, useReserve: false);

    /// <summary>Allocation for metadata checkpoints: not provisional and allowed into the reserve.</summary>
    public Extent AllocateForMetadata(MemberIndex member, long lengthBytes) => AllocateCore(member, lengthBytes, provisional: false, useReserve: true);

    private Extent AllocateCore(MemberIndex member, long lengthBytes, bool provisional, bool useReserve)
    {
        if (lengthBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(lengthBytes), "allocation length must be positive");
        }
        lock (_gate)
        {
            MemberBitmap bm = Get(member);
            long blocks = (lengthBytes + MemberLayout.BlockSize - 1) / MemberLayout.BlockSize;
            long freeBytes = bm.FreeBlocks * MemberLayout.BlockSize;
            long reserve = useReserve ? 0 : Math.Min(ReserveBytes, bm.DataLength / 4);
            if (freeBytes - blocks * MemberLayout.BlockSize < reserve)
            {
                throw new NoSpaceException(member, blocks * MemberLayout.BlockSize, freeBytes, reserve, largestRun: -1);
            }
            long first = bm.FindRun(blocks, out long longest);
            if (first < 0)
            {
                throw new NoSpaceException(member, blocks * MemberLayout.BlockSize, freeBytes, reserve, longest * MemberLayout.BlockSize);
            }
            bm.SetRange(first, blocks, true);
            var extent = new Extent(member, bm.DataOffset + first * MemberLayout.BlockSize, blocks * MemberLayout.BlockSize);
            if (provisional)
            {
                _provisional[extent] = 0;
            }
            return extent;
        }
    }

    /// <summary>Applies an allocation named by a committed or replayed transaction (idempotent).</summary>
    public void MarkAllocated(Extent extent)
    {
        lock (_gate)
        {
            (MemberBitmap bm, long first, long count) = Locate(extent);
            _provisional.Remove(extent);
            bm.SetRange(first, count, true);
        }
    }

    /// <summary>Frees a provisional extent that no transaction ever named.</summary>
    public void Release(Extent extent)
    {
        lock (_gate)
        {
            if (!_provisional.Remove(extent))
            {
                throw new InvalidOperationException($"{extent} is not a provisional allocation; free committed extents through a transaction (AllocExtent delete)");
            }
            (MemberBitmap bm, long first, long count) = Locate(extent);
            bm.SetRange(first, count, false);
        }
    }

    /// <summary>Parks a freed extent until the transaction that frees it is durable.</summary>
    public void FreeAfter(Extent extent, TxId txid)
    {
        lock (_gate)
        {
            Locate(extent);
            _provisional.Remove(extent);
            _pending.Add((extent, txid, false));
        }
    }

    /// <summary>Parks an extent until <see cref="ReleaseCheckpointPending"/> (superseded checkpoint extents).</summary>
    public void FreeAfterCheckpoint(Extent extent)
    {
        lock (_gate)
        {
            Locate(extent);
            if (!_pending.Exists(p => p.UntilCheckpoint && p.Extent == extent))
            {
                _pending.Add((extent, default, true));
            }
        }
    }

    /// <summary>Frees an extent at once: replay of a durable free.</summary>
    public void FreeNow(Extent extent)
    {
        lock (_gate)
        {
            (MemberBitmap bm, long first, long count) = Locate(extent);
            _provisional.Remove(extent);
            bm.SetRange(first, count, false);
        }
    }

    public void MarkDurable(TxId durable)
    {
        lock (_gate)
        {
            for (int i = _pending.Count - 1; i >= 0; i--)
            {
                var p = _pending[i];
                if (!p.UntilCheckpoint && p.Until.Value <= durable.Value)
                {
                    (MemberBitmap bm, long first, long count) = Locate(p.Extent);
                    bm.SetRange(first, count, false);
                    _pending.RemoveAt(i);
                }
            }
        }
    }

    public void ReleaseCheckpointPending()
    {
        lock (_gate)
        {
            for (int i = _pending.Count - 1; i >= 0; i--)
            {
                if (_pending[i].UntilCheckpoint)
                {
                    (MemberBitmap bm, long first, long count) = Locate(_pending[i].Extent);
                    bm.SetRange(first, count, false);
                    _pending.RemoveAt(i);
                }
            }
        }
    }

    public int PendingCount
    {
        get { lock (_gate) return _pending.Count; }
    }

    public long FreeBytes(MemberIndex member)
    {
        lock (_gate) return Get(member).FreeBlocks * MemberLayout.BlockSize;
    }

    /// <summary>Free bytes a data allocation on <paramref name="member"/> may still take (the checkpoint reserve left out).</summary>
    public long DataAvailableBytes(MemberIndex member)
    {
        lock (_gate)
        {
            MemberBitmap bm = Get(member);
            return bm.FreeBlocks * MemberLayout.BlockSize - Math.Min(ReserveBytes, bm.DataLength / 4);
        }
    }

    public long UsedBytes(MemberIndex member)
    {
        lock (_gate)
        {
            MemberBitmap bm = Get(member);
            return (bm.BlockCount - bm.FreeBlocks) * MemberLayout.BlockSize;
        }
    }

    public long DataBytes(MemberIndex member)
    {
        lock (_gate) return Get(member).DataLength;
    }

    public bool IsAllocated(Extent extent)
    {
        lock (_gate)
        {
            (MemberBitmap bm, long first, long count) = Locate(extent);
            return bm.AllSet(first, count);
        }
    }

    /// <summary>
    /// The persistent view for a checkpoint: every member's bitmap with provisional and pending extents
    /// cleared, as (member, page, 4096 bytes) for each non-zero page.
    /// </summary>
    public List<(MemberIndex Member, int Page, byte[] Bits)> SnapshotPersistentPages()
    {
        lock (_gate)
        {
            var result = new List<(MemberIndex, int, byte[])>();
            foreach (MemberBitmap live in _members.Values)
            {
                MemberBitmap bm = live.Clone();
                foreach (Extent e in _provisional.Keys.Concat(_pending.Select(p => p.Extent)))
                {
                    if (e.Member == bm.Member)
                    {
                        bm.SetRange((e.OffsetBytes - bm.DataOffset) / MemberLayout.BlockSize, e.LengthBytes / MemberLayout.BlockSize, false);
                    }
                }
                for (int page = 0; page < bm.PageCount; page++)
                {
                    var bits = new byte[AllocRecords.BitmapPageBytes];
                    bm.CopyPage(page, bits);
                    if (bits.AsSpan().IndexOfAnyExcept((byte)0) >= 0)
                    {
                        result.Add((bm.Member, page, bits));
                    }
                }
            }
            return result;
        }
    }

    public void LoadPage(MemberIndex member, int page, ReadOnlySpan<byte> bits)
    {
        lock (_gate)
        {
            MemberBitmap bm = Get(member);
            if (page < 0 || page >= bm.PageCount || bits.Length != AllocRecords.BitmapPageBytes)
            {
                throw new InvalidDataException($"bitmap page {page} of member {member} is out of range or not {AllocRecords.BitmapPageBytes} bytes");
            }
            bm.LoadPage(page, bits);
        }
    }

    /// <summary>Upper bound of the bytes <see cref="SnapshotPersistentPages"/> can produce as checkpoint ops.</summary>
    public long MaxPersistentBytes(int perPageOverhead)
    {
        lock (_gate) return _members.Values.Sum(m => (long)m.PageCount * (AllocRecords.BitmapPageBytes + perPageOverhead));
    }

    /// <summary>
    /// fsck: compares the allocator with the extents metadata references. Leaks are allocated blocks no
    /// reference covers (excluding provisional and pending extents); referenced-but-free blocks and
    /// overlapping references are corruption.
    /// </summary>
    public AllocationCheckReport Check(IEnumerable<Extent> referenced)
    {
        lock (_gate)
        {
            var refMaps = _members.Values.ToDictionary(m => m.Member.Value, m => new MemberBitmap(m.Member, m.DataOffset, m.DataLength));
            var overlaps = new List<Extent>();
            var referencedButFree = new List<Extent>();
            var outside = new List<Extent>();
            foreach (Extent e in referenced)
            {
                if (!refMaps.TryGetValue(e.Member.Value, out MemberBitmap? rm) || !TryBlocks(rm, e, out long first, out long count))
                {
                    outside.Add(e);
                    continue;
                }
                if (rm.AnySet(first, count))
                {
                    overlaps.Add(e);
                }
                rm.SetRange(first, count, true);
                if (!_members[e.Member.Value].AllSet(first, count))
                {
                    referencedButFree.Add(e);
                }
            }
            var excluded = _members.Values.ToDictionary(m => m.Member.Value, m => new MemberBitmap(m.Member, m.DataOffset, m.DataLength));
            foreach (Extent e in _provisional.Keys.Concat(_pending.Select(p => p.Extent)))
            {
                if (excluded.TryGetValue(e.Member.Value, out MemberBitmap? xm) && TryBlocks(xm, e, out long f, out long c))
                {
                    xm.SetRange(f, c, true);
                }
            }
            var leaks = new List<Extent>();
            foreach (MemberBitmap bm in _members.Values)
            {
                MemberBitmap rm = refMaps[bm.Member.Value];
                MemberBitmap xm = excluded[bm.Member.Value];
                long runStart = -1;
                for (long b = 0; b <= bm.BlockCount; b++)
                {
                    bool leak = b < bm.BlockCount && bm.IsSet(b) && !rm.IsSet(b) && !xm.IsSet(b);
                    if (leak && runStart < 0)
                    {
                        runStart = b;
                    }
                    else if (!leak && runStart >= 0)
                    {
                        leaks.Add(new Extent(bm.Member, bm.DataOffset + runStart * MemberLayout.BlockSize, (b - runStart) * MemberLayout.BlockSize));
                        runStart = -1;
                    }
                }
            }
            return new AllocationCheckReport(leaks, referencedButFree, overlaps, outside);
        }
    }

    private static bool TryBlocks(MemberBitmap bm, Extent e, out long first, out long count)
    {
        first = (e.OffsetBytes - bm.DataOffset) / MemberLayout.BlockSize;
        count = e.LengthBytes / MemberLayout.BlockSize;
        return e.OffsetBytes >= bm.DataOffset && e.LengthBytes > 0 && e.OffsetBytes % MemberLayout.BlockSize == 0 &&
               e.LengthBytes % MemberLayout.BlockSize == 0 && first + count <= bm.BlockCount;
    }

    private MemberBitmap Get(MemberIndex member)
        => _members.TryGetValue(member.Value, out MemberBitmap? bm)
            ? bm
            : throw new ArgumentException($"member {member} is not part of this pool's allocator");

    private (MemberBitmap, long, long) Locate(Extent extent)
    {
        MemberBitmap bm = Get(extent.Member);
        if (!TryBlocks(bm, extent, out long first, out long count))
        {
            throw new InvalidDataException($"{extent} is not a 4 KiB-aligned range inside the data region of member {extent.Member}");
        }
        return (bm, first, count);
    }
}

public sealed record AllocationCheckReport(
    IReadOnlyList<Extent> Leaks, IReadOnlyList<Extent> ReferencedButFree, IReadOnlyList<Extent> Overlapping, IReadOnlyList<Extent> OutsideDataRegion)
{
    public bool IsClean => Leaks.Count == 0 && ReferencedButFree.Count == 0 && Overlapping.Count == 0 && OutsideDataRegion.Count == 0;
}

/// <summary>ENOSPC on one member, naming the member, the request and the free space.</summary>
public sealed class NoSpaceException : StorageException
{
    public NoSpaceException(MemberIndex member, long requestedBytes, long freeBytes, long reservedBytes, long largestRun)
        : base("no-space", Describe(member, requestedBytes, freeBytes, reservedBytes, largestRun))
    {
        Member = member;
        RequestedBytes = requestedBytes;
        FreeBytes = freeBytes;
        ReservedBytes = reservedBytes;
        HResult = 28; // ENOSPC
    }

    public MemberIndex Member { get; }
    public long RequestedBytes { get; }
    public long FreeBytes { get; }
    public long ReservedBytes { get; }

    private static string Describe(MemberIndex member, long requested, long free, long reserved, long largestRun)
        => largestRun >= 0
            ? $"member {member} has no contiguous {requested} bytes (free {free} bytes, largest free run {largestRun}) — ENOSPC; allocate smaller extents, delete files or add a member"
            : $"member {member} cannot take {requested} more bytes: {free} bytes free, {reserved} kept for metadata checkpoints — ENOSPC; delete files or add a member";
}
