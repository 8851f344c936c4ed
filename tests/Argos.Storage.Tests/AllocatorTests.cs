using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Log;
using Argos.Metadata.Records;

namespace Argos.Storage.Tests;

public class AllocatorTests
{
    private static readonly MemberIndex M0 = new(0);

    private static PoolAllocator Small(long dataBytes = 64 * TempDir.MiB)
    {
        var a = new PoolAllocator { ReserveBytes = 4 * TempDir.MiB };
        a.AddMember(M0, 8 * TempDir.MiB, dataBytes);
        return a;
    }

    [Fact]
    public void Invariant_I13_EnospcBeforeOverfill_NamesMemberAndFreeBytes()
    {
        PoolAllocator a = Small(16 * TempDir.MiB);
        var got = new List<Extent>();
        var e = Assert.Throws<NoSpaceException>(() =>
        {
            for (int i = 0; i < 100; i++) got.Add(a.Allocate(M0, TempDir.MiB));
        });
        Assert.Equal(12, got.Count); // 16 MiB minus the 4 MiB checkpoint reserve
        Assert.Equal(4 * TempDir.MiB, e.FreeBytes);
        Assert.Contains("member 0", e.Message);
        Assert.Contains("ENOSPC", e.Message);
        Assert.Equal(28, e.HResult);
        // Metadata may still use the reserve.
        a.AllocateForMetadata(M0, 4 * TempDir.MiB);
        Assert.Equal(0, a.FreeBytes(M0));
        Assert.All(got, x => Assert.True(x.EndBytes <= 8 * TempDir.MiB + 16 * TempDir.MiB));
        Assert.Equal(got.Count, got.Distinct().Count());
    }

    [Fact]
    public void Invariant_I12_FreedExtentsAreNotReusedUntilDurable()
    {
        PoolAllocator a = Small(8 * TempDir.MiB);
        a.ReserveBytes = 0;
        Extent x = a.Allocate(M0, 8 * TempDir.MiB);
        a.MarkAllocated(x);
        a.FreeAfter(x, new TxId(5));
        Assert.Throws<NoSpaceException>(() => a.Allocate(M0, 4096));
        a.MarkDurable(new TxId(4));
        Assert.Throws<NoSpaceException>(() => a.Allocate(M0, 4096));
        a.MarkDurable(new TxId(5));
        Assert.Equal(8 * TempDir.MiB, a.FreeBytes(M0));
        Extent y = a.Allocate(M0, 4096);
        Assert.Equal(x.OffsetBytes, y.OffsetBytes);
    }

    [Fact]
    public void LeakCheck_FindsUnreferencedAllocations_AndReferencedFreeSpace()
    {
        PoolAllocator a = Small();
        Extent used = a.Allocate(M0, 64 * 1024);
        Extent leaked = a.Allocate(M0, 128 * 1024);
        a.MarkAllocated(used);
        a.MarkAllocated(leaked);
        var ghost = new Extent(M0, 40 * TempDir.MiB, 4096);
        AllocationCheckReport r = a.Check([used, ghost]);
        Assert.Equal([leaked], r.Leaks);
        Assert.Equal([ghost], r.ReferencedButFree);
        Assert.Empty(r.Overlapping);
        Assert.False(r.IsClean);
        Assert.True(a.Check([used, leaked]).IsClean);
        Assert.Single(a.Check([used, leaked, used]).Overlapping);
    }

    [Fact]
    public void Invariant_I12_AllocatorState_PersistsAcrossReopen_ViaJournalAndCheckpoint()
    {
        using var dir = new TempDir();
        string[] paths = dir.CreatePool(3, 2, 1);
        var store = new DictionaryStore();
        Extent kept, freed, provisional;
        using (MetadataLog log = MetadataLog.Open(paths, store))
        {
            kept = log.Allocator.Allocate(M0, 256 * 1024);
            freed = log.Allocator.Allocate(M0, 128 * 1024);
            provisional = log.Allocator.Allocate(new MemberIndex(1), 64 * 1024);
            store.Commit(log, AllocOps.Allocated(kept), AllocOps.Allocated(freed));
            log.Checkpoint();                                    // bitmap pages carry kept + freed
            store.Commit(log, AllocOps.Freed(freed));            // the journal carries the free
            JournalTests.ForceDrop(log);
        }
        using (MetadataLog log = MetadataLog.Open(paths, new DictionaryStore()))
        {
            Assert.True(log.Allocator.IsAllocated(kept));
            Assert.False(log.Allocator.IsAllocated(freed));
            Assert.False(log.Allocator.IsAllocated(provisional)); // never committed: not leaked
            Assert.True(log.CheckAllocations([kept]).IsClean);
            PoolInfo info = log.Info;
            long ckpt = log.CheckpointExtents.Where(e => e.Member == M0).Sum(e => e.LengthBytes);
            Assert.Equal(256 * 1024 + ckpt, info.Members.Single(m => m.Index == M0).UsedBytes);
        }
    }

    [Fact]
    public void Invariant_I12_FreedInATransaction_IsReusableOnlyAfterFlush()
    {
        using var dir = new TempDir();
        string[] paths = dir.CreatePool(3, 2, 1);
        var store = new DictionaryStore();
        using MetadataLog log = MetadataLog.Open(paths, store);
        Extent x = log.Allocator.Allocate(M0, 4096);
        store.Commit(log, AllocOps.Allocated(x));
        log.Append([AllocOps.Freed(x)]);
        Assert.True(log.Allocator.IsAllocated(x));  // pending until durable
        Assert.Equal(1, log.Allocator.PendingCount);
        log.Flush();
        Assert.False(log.Allocator.IsAllocated(x));
    }
}
