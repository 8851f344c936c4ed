using Argos.Platform.Native;
using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Records;
using Argos.Storage;

namespace Argos.Metadata.Log;

public sealed partial class MetadataLog
{
    /// <summary>
    /// Writes every live record as a new checkpoint on every present member and restarts the journal in a
    /// new epoch. Buffered (appended, unflushed) transactions become durable through it.
    /// </summary>
    public void Checkpoint()
    {
        lock (_writeGate)
        lock (_gate)
        {
            ThrowIfUnwritable();
            Guarded(() =>
            {
                CheckpointLocked();
                return 0;
            });
        }
    }

    private void CheckpointLocked()
    {
        TxId txid = _lastTxId;
        ulong epoch = Math.Max(_epoch, _members.Max(m => m.Live?.JournalEpoch ?? 0)) + 1;
        ulong sequence = Math.Max(_rootSequence, _members.Max(m => m.Live?.Sequence ?? 0)) + 1;
        // libsodium's generator: the BCL's RandomNumberGenerator goes through OpenSSL, which a static
        // binary cannot load (STYLE.md: nothing loaded lazily).
        byte[] seed = new byte[JournalRecordHeader.HashLength];
        Sodium.RandomBytes(seed);

        // Superseded checkpoints become free in the new bitmap, but stay allocated in memory until the
        // new roots are durable (I-12).
        // That covers the previous checkpoint's extents on every present member (also those of a member
        // whose root never flipped to it) and any older checkpoint a present member's root still names.
        var present = _members.Select(m => m.Index).ToHashSet();
        foreach (Extent e in _checkpointExtents.Where(e => present.Contains(e.Member))
                     .Concat(_members.Where(m => m.Live is not null).SelectMany(m => m.Live!.Extents)).Distinct())
        {
            _allocator.FreeAfterCheckpoint(e);
        }
        // Checkpoint extents on missing members stay allocated and listed until those members return or are replaced.
        List<Extent> carried = _checkpointExtents.Where(e => !present.Contains(e.Member)).ToList();

        var writer = new CheckpointWriter(_allocator, _members.Select(m => (m.Index, m.Device)));
        bool rootsStarted = false;
        try
        {
            WritePayload(writer, carried);
            byte[] hash = writer.FinishHash();
            CrashPoints.Hit(CrashPoints.CheckpointPayloadWritten);
            Parallel.ForEach(_members, m => m.Device.Flush());
            CrashPoints.Hit(CrashPoints.CheckpointFlushed);

            var roots = _members.Select(m => new RootSlot
            {
                Sequence = sequence,
                PoolUuid = _template.PoolUuid,
                CheckpointTxId = txid,
                PayloadLength = writer.PayloadLength,
                PayloadHash = hash,
                JournalEpoch = epoch,
                ChainSeed = seed,
                Generation = _generation,
                WrittenNs = MemberFormatter.NowNs(),
                MemberIndex = m.Index,
                Extents = writer.ExtentsOf(m.Index).ToList(),
            }).ToList();
            rootsStarted = true;
            if (CrashPoints.IsArmed(CrashPoints.RootSlotPartial))
            {
                WriteRoot(_members[0], roots[0]);
                _members[0].Device.Flush();
                CrashPoints.Hit(CrashPoints.RootSlotPartial);
            }
            Parallel.For(0, _members.Count, i => WriteRoot(_members[i], roots[i]));
            CrashPoints.Hit(CrashPoints.RootSlotWritten);
            Parallel.ForEach(_members, m => m.Device.Flush());
            CrashPoints.Hit(CrashPoints.RootSlotFlushed);
            for (int i = 0; i < _members.Count; i++)
            {
                LogMember m = _members[i];
                m.LiveSlot = m.LiveSlot == SlotA ? SlotB : SlotA;
                m.Live = roots[i];
            }
        }
        catch (Exception e) when (!rootsStarted && e is not CrashInjectedException)
        {
            // No root names the new extents yet: give them back. The old roots stay live.
            foreach (Extent x in writer.AllExtents)
            {
                _allocator.FreeNow(x);
            }
            throw;
        }
        _allocator.ReleaseCheckpointPending();
        _checkpointExtents = writer.AllExtents.Concat(carried).ToList();
        _rootSequence = sequence;
        _epoch = epoch;
        _tip = 0;
        _prevHash = seed;
        ResetBuffer();
        MarkDurable(txid);
        // Keep room for the next checkpoint: twice this one (it is written before the old one is freed).
        _allocator.ReserveBytes = Math.Max(8 * MemberLayout.MiB, 2 * MemberLayout.AlignUp(writer.PayloadLength, MemberLayout.MiB));
    }

    private void WriteRoot(LogMember m, RootSlot root)
    {
        var block = new byte[RootSlot.Size];
        root.Encode(block);
        long offset = m.LiveSlot == SlotA ? MemberLayout.RootSlotBOffset : MemberLayout.RootSlotAOffset;
        m.Device.WriteAt(offset, block);
    }

    private void WritePayload(CheckpointWriter writer, IReadOnlyList<Extent> carried)
    {
        Span<byte> key = stackalloc byte[AllocRecords.BitmapKeySize];
        var value = new byte[MemberRecord.ValueSize];
        foreach (MemberRecord r in _memberTable.Values)
        {
            r.WriteKey(key);
            r.WriteValue(value);
            writer.Add((byte)RecordKind.Member, false, key[..MemberRecord.KeySize], value);
        }
        foreach (RecordOp op in _store.EnumerateAll())
        {
            if (IsOwnedKind(op.Kind) || op.IsDelete)
            {
                continue;
            }
            writer.Add((byte)op.Kind, false, op.Key.Span, op.Value!.Value.Span);
        }
        // The bitmap must describe the checkpoint's own extents, so reserve all the room it can need
        // first; after that nothing is allocated and the snapshot is final.
        long extentRecords = (long)(RootSlot.MaxExtents * _members.Count + carried.Count) * (OpCodec.HeaderSize + AllocRecords.ExtentKeySize);
        long bound = _allocator.MaxPersistentBytes(OpCodec.HeaderSize + AllocRecords.BitmapKeySize) + extentRecords
                     + (long)CheckpointFrame.HeaderSize * (2 + (_allocator.MaxPersistentBytes(0) + extentRecords) / CheckpointFrame.TargetBodyBytes + 1);
        writer.Reserve(bound);
        foreach (Extent e in writer.AllExtents.Concat(carried))
        {
            writer.Add((byte)RecordKind.CheckpointExtent, false, AllocRecords.ExtentKey(e), []);
        }
        foreach ((MemberIndex member, int page, byte[] bits) in _allocator.SnapshotPersistentPages())
        {
            AllocRecords.WriteBitmapKey(key, member, page);
            writer.Add((byte)RecordKind.AllocBitmap, false, key, bits);
        }
    }
}

public sealed partial class MetadataLog
{
    /// <summary>mkfs: the first checkpoint (txid 0, epoch 1, root slot A) on freshly formatted members.</summary>
    internal static void WriteInitialCheckpoint(IReadOnlyList<IMemberDevice> devices, IReadOnlyList<Superblock> sbs, IRecordStore store)
    {
        var members = new List<LogMember>();
        for (int i = 0; i < devices.Count; i++)
        {
            var identity = new MemberIdentity { Superblock = sbs[i], SuperblockSource = "primary" };
            members.Add(new LogMember(new OpenedMember(devices[i].Path, devices[i], identity)));
        }
        var log = new MetadataLog(members, store, sbs[0], readOnly: false);
        foreach (Superblock sb in sbs)
        {
            var record = new MemberRecord(sb.MemberIndex, sb.MemberUuid, MemberState.Online, sb.Layout.CapacityBytes, sb.Layout.DataOffset, sb.Layout.DataLength);
            log._memberTable[sb.MemberIndex.Value] = record;
            log._allocator.AddMember(sb.MemberIndex, sb.Layout.DataOffset, sb.Layout.DataLength);
        }
        log._epoch = 0;
        log.CheckpointLocked();
    }
}
