using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Log;
using Argos.Metadata.Records;

namespace Argos.Storage.Tests;

/// <summary>I-15: a crash at any point leaves the old state or the new one, never a mix, and the journal verifies.</summary>
public class CrashMatrixTests
{
    public static TheoryData<string> CommitPathPoints()
    {
        var data = new TheoryData<string>();
        foreach (string p in CrashPoints.All.Where(p => p != CrashPoints.MkfsPartial))
        {
            data.Add(p);
        }
        return data;
    }

    private static RecordOp StripeFor(Extent e)
        => RecordOp.Put(RecordKind.Stripe, "file-1/stripe-0"u8.ToArray(), AllocRecords.ExtentKey(e));

    private static IEnumerable<Extent> ReferencedExtents(DictionaryStore store)
        => store.Records.Values.Where(r => r.Kind == RecordKind.Stripe)
            .Select(r => AllocRecords.TryDecodeExtentKey(r.Value, out Extent e) ? e : throw new InvalidDataException());

    [Theory]
    [MemberData(nameof(CommitPathPoints))]
    public void Invariant_I15_CrashAtEveryPoint_LeavesOldOrNewState(string point)
    {
        using var dir = new TempDir();
        string[] paths = dir.CreatePool(3, 2, 1);
        var store = new DictionaryStore();
        using (MetadataLog log = MetadataLog.Open(paths, store))
        {
            store.Commit(log, DictionaryStore.Put("a", "1"), DictionaryStore.Put("b", "2"));
            store.Commit(log, DictionaryStore.Put("c", "3"));
        }
        string oldState = store.Dump();

        var live = new DictionaryStore();
        string newState;
        bool crashed = false;
        bool atOpen = point is CrashPoints.SuperblockPartial or CrashPoints.SuperblockWritten or CrashPoints.ReplayBeforeResync;
        if (atOpen)
        {
            // These points are on the open path: "new" is the same records with the generation bumped.
            newState = oldState;
            using (CrashPoints.Arm(point))
            {
                try
                {
                    using MetadataLog log = MetadataLog.Open(paths, live);
                }
                catch (CrashInjectedException)
                {
                    crashed = true;
                }
            }
        }
        else
        {
            MetadataLog log = MetadataLog.Open(paths, live);
            Extent extent = log.Allocator.Allocate(new MemberIndex(0), 64 * 1024);
            var ops = new List<RecordOp> { DictionaryStore.Put("a", "changed"), DictionaryStore.Del("b"), StripeFor(extent), AllocOps.Allocated(extent) };
            var expected = new DictionaryStore();
            expected.Records.Clear();
            foreach (var kv in live.Records) expected.Records[kv.Key] = kv.Value;
            expected.ApplyAll(ops);
            newState = expected.Dump();
            using (CrashPoints.Arm(point))
            {
                try
                {
                    log.WriteAt(extent.Member, extent.OffsetBytes, new byte[extent.LengthBytes]);
                    log.FlushData();
                    live.ApplyAll(ops);
                    if (point.StartsWith("checkpoint", StringComparison.Ordinal) || point.StartsWith("root-slot", StringComparison.Ordinal))
                    {
                        log.Append(ops);
                        log.Checkpoint();
                    }
                    else
                    {
                        log.Commit(ops);
                    }
                }
                catch (CrashInjectedException e)
                {
                    Assert.Equal(point, e.Point);
                    crashed = true;
                }
            }
            log.Dispose(); // poisoned by the crash: releases the members without writing
        }
        Assert.True(crashed, $"crash point {point} was never reached");

        var after = new DictionaryStore();
        using (MetadataLog log = MetadataLog.Open(paths, after))
        {
            string state = after.Dump();
            Assert.True(state == oldState || state == newState, $"after a crash at {point} the state is a mix:\n{state}");
            AllocationCheckReport check = log.CheckAllocations(ReferencedExtents(after));
            Assert.True(check.IsClean, $"allocator after {point}: leaks {check.Leaks.Count}, referenced-but-free {check.ReferencedButFree.Count}");
            Assert.True(log.Verify().IsValid, $"journal does not verify after {point}");
            // The pool keeps working after recovery.
            after.Commit(log, DictionaryStore.Put("after", point));
        }
        var again = new DictionaryStore();
        using (MetadataLog log = MetadataLog.Open(paths, again, new LogOpenOptions { ReadOnly = true }))
        {
            Assert.True(log.Verify().IsValid);
            Assert.True(log.Info.Clean);
        }
        Assert.Equal(after.Dump(), again.Dump());
    }

    [Fact]
    public void Invariant_I15_CrashDuringMkfs_LeavesNoHalfPool()
    {
        using var dir = new TempDir();
        string[] paths = dir.Images(3);
        using (CrashPoints.Arm(CrashPoints.MkfsPartial))
        {
            Assert.Throws<CrashInjectedException>(() =>
                PoolCreator.Create(paths, new PoolCreateOptions { K = 2, M = 1, ImageSizeBytes = 64 * TempDir.MiB }));
        }
        IReadOnlyList<ScanResult> scan = MemberScanner.Scan(paths);
        Assert.True(scan[0].Valid);
        Assert.False(scan[1].Valid);
        Assert.False(scan[2].Valid);
        // Members 1 and 2 are not members: the pool is refused as too degraded, with the reason.
        var e = Assert.Throws<StorageException>(() => MetadataLog.Open(paths, new DictionaryStore()));
        Assert.Equal("invalid-member", e.Code);
        // mkfs again needs --force (the targets now hold argosfs bytes), then succeeds.
        var refused = Assert.Throws<StorageException>(() => PoolCreator.Create(paths, new PoolCreateOptions { K = 2, M = 1 }));
        Assert.Contains("use --force to overwrite", refused.Message);
        PoolCreator.Create(paths, new PoolCreateOptions { K = 2, M = 1, Force = true });
        using MetadataLog log = MetadataLog.Open(paths, new DictionaryStore());
        Assert.False(log.Info.Degraded);
    }

    [Fact]
    [Trait("Category", "Process")]
    public void CrashAbort_KillsTheProcess_AndThePoolRecovers()
    {
        using var dir = new TempDir();
        string[] paths = dir.CreatePool(3, 2, 1);
        var store = new DictionaryStore();
        using (MetadataLog log = MetadataLog.Open(paths, store))
        {
            store.Commit(log, DictionaryStore.Put("before", "1"));
        }
        // A child process commits once with journal-flushed armed in abort mode and dies there.
        int code = CrashChild.RunInChild(paths, CrashPoints.JournalFlushed);
        Assert.NotEqual(0, code);
        var after = new DictionaryStore();
        using (MetadataLog log = MetadataLog.Open(paths, after))
        {
            Assert.True(log.Verify().IsValid);
        }
        Assert.Contains(DictionaryStore.Id(RecordKind.Inode, "before"u8), after.Records.Keys);
        Assert.Contains(DictionaryStore.Id(RecordKind.Inode, "child"u8), after.Records.Keys); // flushed before the abort
    }
}
