using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Records;
using Argos.Storage;

namespace Argos.Metadata.Log;

public sealed partial class MetadataLog
{
    /// <summary>
    /// Opens a pool from the given member paths and replays its metadata into <paramref name="store"/>
    /// (which must be empty). Refusals (I-9) happen before anything is written.
    /// </summary>
    public static MetadataLog Open(IReadOnlyList<string> paths, IRecordStore store, LogOpenOptions? options = null)
    {
        options ??= new LogOpenOptions();
        IReadOnlyList<OpenedMember> opened = PoolMemberSet.Open(paths, options.ReadOnly, options.DeviceWrapper);
        var members = opened.Select(o => new LogMember(o)).ToList();
        var log = new MetadataLog(members, store, opened[0].Superblock, options.ReadOnly);
        try
        {
            log.Load();
            return log;
        }
        catch
        {
            log._poisoned = true;
            log.Dispose();
            throw;
        }
    }

    private void Load()
    {
        var warnings = new List<string>();
        foreach (LogMember m in _members)
        {
            ReadRoots(m);
            if (m.Live is not null)
            {
                m.Journal = JournalScanner.Scan(m.Device, m.Index, m.Path, m.Sb.Layout, m.Live);
            }
            if (m.Identity.NeedsRepair)
            {
                warnings.Add($"{m.Path}: {(m.Identity.PrimaryError is not null ? "primary identity damaged (" + m.Identity.PrimaryError + ")" : "backup identity damaged (" + m.Identity.BackupError + ")")}" +
                             (ReadOnly ? "; a read-write open will rewrite it" : "; rewritten"));
            }
        }

        // Candidates, newest first: highest journal tip txid, then highest root sequence.
        var candidates = _members.Where(m => m.Live is not null)
            .OrderByDescending(m => m.Journal!.LastTxId.Value)
            .ThenByDescending(m => m.Live!.Sequence)
            .ThenBy(m => m.Index.Value)
            .ToList();
        if (candidates.Count == 0)
        {
            throw new StorageException("no-metadata",
                "no member holds a valid metadata root (" + string.Join("; ", _members.Select(m => $"{m.Path}: A: {m.SlotAError}, B: {m.SlotBError}")) +
                ") — the pool's metadata is lost on every given member; pass the other members");
        }
        LogMember? source = null;
        foreach (LogMember c in candidates)
        {
            string? bad = CheckpointReader.Verify(c.Device, c.Live!);
            if (bad is null)
            {
                source = c;
                break;
            }
            warnings.Add($"{c.Path}: {bad}; using another member's metadata");
        }
        if (source is null)
        {
            throw new StorageException("no-metadata",
                "every member's checkpoint fails verification — the metadata cannot be read; run fsck on the other members");
        }

        // Stale members: a lower generation AND missing transactions the others have (I-9).
        ulong maxGeneration = _members.Max(m => m.Sb.Generation.Value);
        foreach (LogMember m in _members)
        {
            bool behind = m.Journal is null || m.Journal.LastTxId.Value < source.Journal!.LastTxId.Value;
            if (m.Sb.Generation.Value < maxGeneration && behind)
            {
                throw new StorageException("stale-member",
                    $"member {m.Path} missed writes (generation {m.Sb.Generation.Value} < {maxGeneration}); leave it out to open degraded, then replace it");
            }
        }

        // Replay: checkpoint, then the journal of its epoch.
        string? error = CheckpointReader.Read(source.Device, source.Live!,
            (byte kind, bool isDelete, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
                ApplyOwned((RecordKind)kind, isDelete, key, value, replay: true, default));
        if (error is not null)
        {
            throw new StorageException("bad-checkpoint", $"{source.Path}: checkpoint is malformed: {error} — run fsck");
        }
        int replayed = 0;
        JournalReport report = JournalScanner.Scan(source.Device, source.Index, source.Path, source.Sb.Layout, source.Live!,
            (header, payload) =>
            {
                var cursor = new SpanCursor(payload);
                for (int i = 0; i < header.OpCount; i++)
                {
                    if (!OpCodec.TryRead(ref cursor, out byte kind, out bool isDelete, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value, out string opError))
                    {
                        throw new StorageException("bad-journal", $"{source.Path}: journal record txid {header.TxId.Value} op {i}: {opError} — run fsck");
                    }
                    ApplyOwned((RecordKind)kind, isDelete, key, value, replay: true, header.TxId);
                }
                replayed++;
            });

        // Member set: degraded with up to m missing; more is refused (I-14).
        foreach (LogMember m in _members)
        {
            if (!_memberTable.TryGetValue(m.Index.Value, out MemberRecord rec) || rec.MemberUuid != m.Sb.MemberUuid)
            {
                throw new StorageException("unknown-member",
                    $"{m.Path} (member index {m.Index}) is not in the pool's member table (removed or replaced?) — leave it out");
            }
            if (rec.State == MemberState.Removed)
            {
                throw new StorageException("unknown-member", $"{m.Path} (member index {m.Index}) was removed from the pool — leave it out");
            }
        }
        List<MemberIndex> missing = MissingMembers();
        if (missing.Count > _template.M)
        {
            throw new StorageException("too-many-missing",
                $"pool {_template.PoolName} ({_template.PoolUuid}) has {missing.Count} members missing (index {string.Join(", ", missing)}); " +
                $"with m={_template.M} at most {_template.M} may be missing — pass the missing members' images or devices");
        }

        // Checkpoint extents named by any present member's live root stay allocated until superseded
        // (a root that never flipped to the source's checkpoint still names an older one).
        foreach (LogMember m in _members.Where(m => m.Live is not null))
        {
            foreach (Extent e in m.Live!.Extents)
            {
                if (_allocator.HasMember(e.Member) && !_allocator.IsAllocated(e))
                {
                    _allocator.MarkAllocated(e);
                }
            }
        }

        _template = source.Sb;
        _generation = new Generation(maxGeneration);
        _openedClean = _members.All(m => m.Sb.Clean);
        _epoch = source.Live!.JournalEpoch;
        _rootSequence = _members.Max(m => m.Live?.Sequence ?? 0);
        _tip = report.TipOffset;
        _prevHash = report.LastHash;
        _lastTxId = report.LastTxId;
        _durableTxId = report.LastTxId;
        if (!_openedClean)
        {
            warnings.Add("the pool was not cleanly closed; the journal was replayed");
        }

        bool inSync = report.IsClean && _members.All(m =>
            m.Live is not null && m.Live.Sequence == source.Live!.Sequence && m.Journal!.LastTxId == report.LastTxId &&
            m.Journal.TipOffset == report.TipOffset && m.Journal.IsClean);
        bool resynced = false;
        if (!ReadOnly)
        {
            _generation = new Generation(maxGeneration + 1);
            WriteSuperblocks(clean: false);
            CrashPoints.Hit(CrashPoints.ReplayBeforeResync);
            if (!inSync)
            {
                CheckpointLocked();
                resynced = true;
            }
        }
        OpenReport = new OpenReport
        {
            SourceMember = source.Index,
            CheckpointTxId = source.Live!.CheckpointTxId,
            JournalRecordsReplayed = replayed,
            LastTxId = report.LastTxId,
            TailCutReason = report.CutReason,
            TailCutBytes = report.CutBytes,
            TailCutRecords = report.CutRecords,
            Resynced = resynced,
            Warnings = warnings,
        };
    }

    private static void ReadRoots(LogMember m)
    {
        var blocks = new byte[2 * RootSlot.Size];
        try
        {
            m.Device.ReadAt(MemberLayout.RootSlotAOffset, blocks);
        }
        catch (IOException e)
        {
            m.SlotAError = m.SlotBError = "unreadable: " + e.Message;
            return;
        }
        RootSlot.TryDecode(blocks, out RootSlot? a, out string errA);
        RootSlot.TryDecode(blocks.AsSpan(RootSlot.Size), out RootSlot? b, out string errB);
        if (a is not null && a.PoolUuid != m.Sb.PoolUuid)
        {
            (a, errA) = (null, "root slot of another pool");
        }
        if (b is not null && b.PoolUuid != m.Sb.PoolUuid)
        {
            (b, errB) = (null, "root slot of another pool");
        }
        m.SlotAError = a is null ? errA : null;
        m.SlotBError = b is null ? errB : null;
        if (a is not null && (b is null || a.Sequence > b.Sequence))
        {
            m.Live = a;
            m.LiveSlot = SlotA;
        }
        else if (b is not null)
        {
            m.Live = b;
            m.LiveSlot = SlotB;
        }
    }

    /// <summary>Rewrites header, superblock and label (primary, then backup) on every present member (I-6).</summary>
    private void WriteSuperblocks(bool clean)
    {
        long now = MemberFormatter.NowNs();
        var updates = _members.Select(m => m.Sb with
        {
            Generation = _generation,
            Clean = clean,
            LastOpenNs = clean ? m.Sb.LastOpenNs : now,
            LastCleanCloseNs = clean ? now : m.Sb.LastCleanCloseNs,
        }).ToList();
        if (CrashPoints.IsArmed(CrashPoints.SuperblockPartial))
        {
            WritePrimaryIdentity(_members[0], updates[0]);
            _members[0].Device.Flush();
            CrashPoints.Hit(CrashPoints.SuperblockPartial);
        }
        Parallel.For(0, _members.Count, i => WritePrimaryIdentity(_members[i], updates[i]));
        CrashPoints.Hit(CrashPoints.SuperblockWritten);
        Parallel.ForEach(_members, m => m.Device.Flush());
        Parallel.For(0, _members.Count, i =>
            MemberFormatter.WriteBackup(_members[i].Device, updates[i], MemberFormatter.LabelFor(updates[i], _members[i].Path)));
        Parallel.ForEach(_members, m => m.Device.Flush());
        for (int i = 0; i < _members.Count; i++)
        {
            _members[i].Sb = updates[i];
        }
    }

    private static void WritePrimaryIdentity(LogMember m, Superblock sb)
    {
        var blocks = new byte[3 * MemberLayout.BlockSize];
        new MemberHeader(sb.Layout.BackupOffset).Encode(blocks);
        sb.Encode(blocks.AsSpan(MemberLayout.BlockSize));
        MemberFormatter.LabelFor(sb, m.Path).Encode(blocks.AsSpan(2 * MemberLayout.BlockSize));
        m.Device.WriteAt(0, blocks);
    }
}
