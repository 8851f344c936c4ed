using Argos.Format.Pool;
using Argos.Metadata.Log;

namespace Argos.Storage.Tests;

public class JournalTests
{
    private static (string[] Paths, DictionaryStore Expected) PoolWithCommits(TempDir dir, int commits)
    {
        string[] paths = dir.CreatePool(3, 2, 1);
        var store = new DictionaryStore();
        MetadataLog log = MetadataLog.Open(paths, store);
        for (int i = 0; i < commits; i++)
        {
            store.Commit(log, DictionaryStore.Put($"k{i % 40}", $"v{i}"), DictionaryStore.Del($"k{(i + 7) % 40}"));
        }
        // Crash-like end: drop the log without a clean close so the journal must be replayed.
        ForceDrop(log);
        return (paths, store);
    }

    /// <summary>Abandons a log like a killed process would: no flush, no checkpoint, no clean flag.</summary>
    internal static void ForceDrop(MetadataLog log)
    {
        try
        {
            using (CrashPoints.Arm(CrashPoints.JournalWritten))
            {
                log.Commit([DictionaryStore.Put("never-durable-marker", "x")]);
            }
        }
        catch (CrashInjectedException)
        {
        }
        log.Dispose();
    }

    [Fact]
    public void Invariant_I10_ManySmallCommits_ReplayToTheSameState()
    {
        using var dir = new TempDir();
        (string[] paths, DictionaryStore expected) = PoolWithCommits(dir, 300);
        var replayed = new DictionaryStore();
        using (MetadataLog log = MetadataLog.Open(paths, replayed, new LogOpenOptions { ReadOnly = true }))
        {
            Assert.Equal(301, log.OpenReport.JournalRecordsReplayed); // the marker was written, just not flushed
            Assert.Null(log.OpenReport.TailCutReason);
            Assert.False(log.Info.Clean);
        }
        expected.Apply(DictionaryStore.Put("never-durable-marker", "x"));
        Assert.Equal(expected.Dump(), replayed.Dump());
    }

    [Fact]
    public void Invariant_I4_TornJournalTailIsCut_AndReported()
    {
        using var dir = new TempDir();
        (string[] paths, DictionaryStore expected) = PoolWithCommits(dir, 20);
        // The marker record is the last one; tear it (its end never reached the disk) on every member.
        JournalReport before;
        using (MetadataLog ro = MetadataLog.Open(paths, new DictionaryStore(), new LogOpenOptions { ReadOnly = true }))
        {
            before = ro.Verify().Members[0].Journal!;
        }
        JournalRecordInfo last = before.Records[^1];
        foreach (string p in paths)
        {
            TempDir.Patch(p, MemberLayout.JournalStart + last.OffsetBytes + 100, new byte[200]);
        }
        var replayed = new DictionaryStore();
        using (MetadataLog log = MetadataLog.Open(paths, replayed))
        {
            Assert.Equal("record hash mismatch (torn or corrupt record)", log.OpenReport.TailCutReason);
            Assert.Equal(1, log.OpenReport.TailCutRecords);
            Assert.Equal(512, log.OpenReport.TailCutBytes);
            Assert.Equal(20, log.OpenReport.JournalRecordsReplayed);
            Assert.True(log.OpenReport.Resynced);
        }
        Assert.Equal(expected.Dump(), replayed.Dump());
        // After the read-write open resynced, the journal verifies everywhere.
        using (MetadataLog log = MetadataLog.Open(paths, new DictionaryStore(), new LogOpenOptions { ReadOnly = true }))
        {
            Assert.True(log.Verify().IsValid);
        }
    }

    [Fact]
    public void Invariant_I10_FlippedByteMidJournal_CutsEverythingAfter_AndVerifyShowsPerRecordValidity()
    {
        using var dir = new TempDir();
        (string[] paths, _) = PoolWithCommits(dir, 10);
        JournalReport clean;
        using (MetadataLog ro = MetadataLog.Open(paths, new DictionaryStore(), new LogOpenOptions { ReadOnly = true }))
        {
            PoolVerifyReport v = ro.Verify();
            Assert.True(v.IsValid);
            clean = v.Members[0].Journal!;
        }
        Assert.Equal(11, clean.ValidRecords);
        JournalRecordInfo fifth = clean.Records[4];
        TempDir.FlipByte(paths[0], MemberLayout.JournalStart + fifth.OffsetBytes + JournalRecordHeader.Size + 3);
        using MetadataLog all = MetadataLog.Open(paths, new DictionaryStore(), new LogOpenOptions { ReadOnly = true });
        PoolVerifyReport report = all.Verify();
        Assert.False(report.IsValid);
        JournalReport j0 = report.Members[0].Journal!;
        Assert.Equal(4, j0.ValidRecords);
        Assert.Equal("record hash mismatch (torn or corrupt record)", j0.CutReason);
        Assert.Equal(7, j0.CutRecords);                       // the damaged record and the 6 after it
        Assert.All(j0.Records.Skip(5), r => Assert.StartsWith("cut: follows the break", r.Reason));
        Assert.True(report.Members[1].IsValid);
        // Open used an undamaged member: nothing was lost.
        Assert.Equal(clean.LastTxId, all.LastTxId);
    }

    [Fact]
    public void Invariant_I10_HashChainBreak_IsDetected()
    {
        using var dir = new TempDir();
        (string[] paths, _) = PoolWithCommits(dir, 6);
        JournalReport clean;
        using (MetadataLog ro = MetadataLog.Open(paths, new DictionaryStore(), new LogOpenOptions { ReadOnly = true }))
        {
            clean = ro.Verify().Members[1].Journal!;
        }
        // Rewrite record 3's prev_hash (and re-seal its header CRC and hash) so only the chain is wrong.
        long at = MemberLayout.JournalStart + clean.Records[2].OffsetBytes;
        byte[] rec = TempDir.ReadBytes(paths[1], at, clean.Records[2].PaddedLength);
        JournalRecordHeader.TryDecode(rec, out JournalRecordHeader? h, out _);
        byte[] forged = new byte[16];
        forged[0] = 1;
        (h! with { PrevHash = forged }).Seal(rec);
        TempDir.Patch(paths[1], at, rec);
        using MetadataLog all = MetadataLog.Open(paths, new DictionaryStore(), new LogOpenOptions { ReadOnly = true });
        JournalReport j1 = all.Verify().Members[1].Journal!;
        Assert.Equal(2, j1.ValidRecords);
        Assert.Equal("hash chain break: prev_hash does not match the previous record", j1.CutReason);
    }

    [Fact]
    public void GroupCommit_OneRecordForManyTransactions_AndJournalFullTriggersCheckpoint()
    {
        using var dir = new TempDir();
        string[] paths = dir.CreatePool(3, 2, 1);
        var store = new DictionaryStore();
        using (MetadataLog log = MetadataLog.Open(paths, store))
        {
            ulong epoch = log.JournalEpoch;
            for (int i = 0; i < 50; i++)
            {
                var ops = new[] { DictionaryStore.Put($"g{i}", "x") };
                store.ApplyAll(ops);
                log.Append(ops);
            }
            Assert.Equal(0, log.JournalTipBytes);
            log.Flush();
            Assert.Equal(1024, log.JournalTipBytes); // 50 small ops in one padded record
            Assert.Equal(log.LastTxId, log.DurableTxId);
            // Fill the 4 MiB journal with 64 KiB values until it rolls over into a new epoch.
            byte[] big = new byte[64 * 1024];
            for (int i = 0; i < 80; i++)
            {
                store.Commit(log, Argos.Metadata.Records.RecordOp.Put(Argos.Metadata.Records.RecordKind.Xattr, BitConverter.GetBytes(i), big));
            }
            Assert.True(log.JournalEpoch > epoch);
            ForceDropKeepingState(log);
        }
        var replayed = new DictionaryStore();
        using (MetadataLog log = MetadataLog.Open(paths, replayed, new LogOpenOptions { ReadOnly = true }))
        {
        }
        Assert.Equal(store.Dump(), replayed.Dump());
    }

    private static void ForceDropKeepingState(MetadataLog log) => ForceDropNoMarker(log);

    private static void ForceDropNoMarker(MetadataLog log)
    {
        try
        {
            using (CrashPoints.Arm(CrashPoints.DataFlushed))
            {
                log.FlushData();
            }
        }
        catch (CrashInjectedException)
        {
        }
        // FlushData does not poison the log; poison it through a guarded step to skip the clean close.
        try
        {
            using (CrashPoints.Arm(CrashPoints.CheckpointPayloadWritten))
            {
                log.Checkpoint();
            }
        }
        catch (CrashInjectedException)
        {
        }
        log.Dispose();
    }
}
