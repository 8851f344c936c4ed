// The metadata log of a pool (docs/format.md §3–§5): a hash-chained journal of record-level changes
// plus A/B-rooted copy-on-write checkpoints, held in full on every present member.
//
//   commit   = one journal record (all ops of the batched transactions) written to every member in
//              parallel, then fdatasync'ed in parallel: O(change) bytes, independent of pool size (I-11).
//   checkpoint (journal full, clean close, resync) = every live record streamed into freshly allocated
//              extents on every member → flush → the other root slot on every member → flush; the journal
//              then restarts at its region start in a new epoch.
//   open     = per member: live root slot, journal scan; pick the newest (tip txid, root sequence) whose
//              checkpoint verifies; replay it; refuse stale members; for read-write opens bump the
//              generation and, when members differ or a tail was cut, checkpoint everywhere (resync).
//
// Thread-safety: public members take one lock. Callers mutate their in-memory records and Append the
// matching ops under their own lock, so that a checkpoint (which enumerates the store) never sees a
// half-applied transaction.
using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Records;
using Argos.Storage;

namespace Argos.Metadata.Log;

public sealed partial class MetadataLog : IDisposable
{
    private const int SlotA = 0;
    private const int SlotB = 1;

    private readonly object _gate = new();
    // Held by whatever writes the journal or the checkpoints (taken before _gate, never inside it):
    // a pipelined flush writes its sealed record outside _gate, so appends go on meanwhile.
    private readonly object _writeGate = new();
    private byte[]? _spareRecord;
    private readonly List<LogMember> _members;
    private readonly IRecordStore _store;
    private readonly SortedDictionary<int, MemberRecord> _memberTable = new();
    private readonly PoolAllocator _allocator = new();
    /// <summary>Every member's extents holding the live checkpoint (from its CheckpointExtent records).</summary>
    private List<Extent> _checkpointExtents = new();
    private Superblock _template;
    private Generation _generation;
    private bool _openedClean;

    private ulong _epoch;
    private long _tip;
    private byte[] _prevHash = new byte[JournalRecordHeader.HashLength];
    private TxId _lastTxId;
    private TxId _durableTxId;
    private ulong _rootSequence;

    private byte[] _record = new byte[64 * 1024];
    private int _payloadLength;
    private int _opCount;
    private int _txCount;

    private bool _poisoned;
    private bool _closed;

    private MetadataLog(List<LogMember> members, IRecordStore store, Superblock template, bool readOnly)
    {
        _members = members;
        _store = store;
        _template = template;
        ReadOnly = readOnly;
        _generation = template.Generation;
    }

    public bool ReadOnly { get; }
    public OpenReport OpenReport { get; private set; } = new();
    public PoolAllocator Allocator => _allocator;
    public Guid PoolUuid => _template.PoolUuid;
    public int K => _template.K;
    public int M => _template.M;
    public int ChunkSizeBytes => _template.ChunkSize;
    /// <summary>The pool's incompat feature bits (FeatureFlags), as the opened superblock holds them.</summary>
    public ulong IncompatFeatures => _template.IncompatFeatures;
    public Generation Generation => _generation;
    public TxId LastTxId { get { lock (_gate) return _lastTxId; } }
    public TxId DurableTxId { get { lock (_gate) return _durableTxId; } }
    /// <summary>Bytes used in the current journal epoch.</summary>
    public long JournalTipBytes { get { lock (_gate) return _tip; } }
    public ulong JournalEpoch { get { lock (_gate) return _epoch; } }

    /// <summary>The member table (Member records), consumed by the log itself.</summary>
    public IReadOnlyList<MemberRecord> Members { get { lock (_gate) return _memberTable.Values.ToList(); } }

    /// <summary>Indices of the members that are open (present) now.</summary>
    public IReadOnlyList<MemberIndex> PresentMembers => _members.Select(m => m.Index).ToList();

    public PoolInfo Info
    {
        get
        {
            lock (_gate)
            {
                var present = _members.ToDictionary(m => m.Index.Value);
                var infos = new List<PoolMemberInfo>();
                foreach (MemberRecord r in _memberTable.Values)
                {
                    present.TryGetValue(r.Index.Value, out LogMember? lm);
                    PoolMemberState state = r.State switch
                    {
                        MemberState.Removed => PoolMemberState.Removed,
                        MemberState.Failed => PoolMemberState.Failed,
                        _ => lm is null ? PoolMemberState.Missing : PoolMemberState.Online,
                    };
                    bool known = _allocator.HasMember(r.Index);
                    infos.Add(new PoolMemberInfo(r.Index, r.MemberUuid, state, lm?.Path, r.CapacityBytes,
                        known ? _allocator.DataBytes(r.Index) : r.DataLength,
                        known ? _allocator.UsedBytes(r.Index) : 0,
                        known ? _allocator.FreeBytes(r.Index) : 0,
                        lm?.Identity.SuperblockSource));
                }
                return new PoolInfo
                {
                    PoolUuid = _template.PoolUuid,
                    PoolName = _template.PoolName,
                    K = _template.K,
                    M = _template.M,
                    ChunkSizeBytes = _template.ChunkSize,
                    Generation = _generation,
                    Clean = _openedClean,
                    ReadOnly = ReadOnly,
                    Missing = MissingMembers(),
                    Members = infos,
                    LastTxId = _lastTxId,
                    DurableTxId = _durableTxId,
                };
            }
        }
    }

    private List<MemberIndex> MissingMembers()
    {
        var present = _members.Select(m => m.Index.Value).ToHashSet();
        return _memberTable.Values
            .Where(r => r.State != MemberState.Removed && !present.Contains(r.Index.Value))
            .Select(r => r.Index).ToList();
    }

    // ---- data path ----

    /// <summary>Reads data-region bytes of a present member.</summary>
    public void ReadAt(MemberIndex member, long offsetBytes, Span<byte> buffer)
    {
        LogMember m = Present(member);
        CheckDataRange(m, offsetBytes, buffer.Length);
        m.Device.ReadAt(offsetBytes, buffer);
    }

    /// <summary>Writes into an extent the caller allocated; durable after <see cref="FlushData"/>.</summary>
    public void WriteAt(MemberIndex member, long offsetBytes, ReadOnlySpan<byte> data)
    {
        ThrowIfUnwritable();
        LogMember m = Present(member);
        CheckDataRange(m, offsetBytes, data.Length);
        m.Device.WriteAt(offsetBytes, data);
        CrashPoints.Hit(CrashPoints.DataWritten);
    }

    /// <summary>fdatasync of the given members (all present members when null), in parallel.</summary>
    public void FlushData(IReadOnlyCollection<MemberIndex>? members = null)
    {
        ThrowIfUnwritable();
        var targets = members is null ? _members : members.Select(Present).ToList();
        Parallel.ForEach(targets, m => m.Device.Flush());
        CrashPoints.Hit(CrashPoints.DataFlushed);
    }

    public bool IsPresent(MemberIndex member) => _members.Exists(m => m.Index == member);

    private LogMember Present(MemberIndex member)
        => _members.Find(m => m.Index == member)
           ?? throw new StorageException("member-missing", $"member {member} is not present in this open pool (missing or removed)");

    private static void CheckDataRange(LogMember m, long offset, long length)
    {
        MemberLayout l = m.Sb.Layout;
        if (offset < l.DataOffset || length < 0 || offset + length > l.DataOffset + l.DataLength)
        {
            throw new StorageException("out-of-range",
                $"[{offset}, +{length}) is outside the data region [{l.DataOffset}, +{l.DataLength}) of member {m.Index} ({m.Path})");
        }
    }

    private void ThrowIfUnwritable()
    {
        if (_poisoned)
        {
            throw new InvalidOperationException("the metadata log hit an error or crash point mid-update; reopen the pool");
        }
        if (_closed)
        {
            throw new ObjectDisposedException(nameof(MetadataLog));
        }
        if (ReadOnly)
        {
            throw new StorageException("read-only", "the pool is open read-only; reopen it read-write to change it");
        }
    }

    /// <summary>Runs a state-changing step; any failure leaves the log unusable (the on-disk state is decided by reopen).</summary>
    private T Guarded<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch
        {
            _poisoned = true;
            throw;
        }
    }

    /// <summary>Closes the pool. clean: flush, checkpoint and mark every member clean (generation + 1).</summary>
    public void Close(bool clean = true)
    {
        lock (_writeGate)
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            try
            {
                if (!ReadOnly && !_poisoned)
                {
                    Guarded(() =>
                    {
                        FlushLocked();
                        if (clean)
                        {
                            CheckpointLocked();
                            _generation = new Generation(_generation.Value + 1);
                            WriteSuperblocks(clean: true);
                        }
                        return 0;
                    });
                }
            }
            finally
            {
                _closed = true;
                foreach (LogMember m in _members)
                {
                    m.Device.Dispose();
                }
            }
        }
    }

    /// <summary>Releases the members. A healthy read-write log is closed cleanly; a poisoned one is just dropped.</summary>
    public void Dispose()
    {
        if (_poisoned)
        {
            lock (_gate)
            {
                if (!_closed)
                {
                    _closed = true;
                    foreach (LogMember m in _members)
                    {
                        m.Device.Dispose();
                    }
                }
            }
            return;
        }
        Close(clean: true);
    }

    /// <summary>fsck support: leaks and bad references, given every data extent the namespace references.</summary>
    public AllocationCheckReport CheckAllocations(IEnumerable<Extent> referencedDataExtents)
    {
        lock (_gate)
        {
            var all = referencedDataExtents.Concat(_checkpointExtents)
                .Concat(_members.Where(m => m.Live is not null).SelectMany(m => m.Live!.Extents))
                .Distinct();
            return _allocator.Check(all);
        }
    }
}

/// <summary>A present member as the log tracks it.</summary>
internal sealed class LogMember
{
    public LogMember(OpenedMember opened)
    {
        Opened = opened;
        Sb = opened.Superblock;
    }

    public OpenedMember Opened { get; }
    public MemberIndex Index => Opened.Index;
    public IMemberDevice Device => Opened.Device;
    public string Path => Opened.Path;
    public MemberIdentity Identity => Opened.Identity;
    public Superblock Sb { get; set; }
    public RootSlot? Live { get; set; }
    public int LiveSlot { get; set; } = -1;
    public string? SlotAError { get; set; }
    public string? SlotBError { get; set; }
    public JournalReport? Journal { get; set; }
}
