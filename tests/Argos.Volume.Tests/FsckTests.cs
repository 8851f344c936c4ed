using System.Diagnostics;
using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Log;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Volume.Maintenance;
using Xunit;
using static Argos.Volume.Tests.FsckTestSupport;

namespace Argos.Volume.Tests;

public sealed class FsckTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Fsck_CleanPool_MetadataOnly_IsOkAndCountsEverything()
    {
        using var pool = new TempPool(size: "64MiB");
        using (var v = pool.Open())
        {
            WriteFile(v, "inline", RandomBytes(100, 1));
            WriteFile(v, "replicated", RandomBytes(10_000, 2));
            WriteFile(v, "striped", RandomBytes(1_200_000, 3));
            var dir = v.Mutate(tx => v.Namespace.Mkdir(tx, InodeId.Root, "d"u8, 0x1ED, Root)).Ino;
            v.Mutate(tx => v.Namespace.Link(tx, Lookup(v, "striped"), dir, "hard"u8));
        }
        using var ro = pool.Open(readOnly: true);
        var report = ro.Fsck();
        Assert.True(report.Ok, string.Join("; ", report.Issues.Select(i => i.Message)));
        Assert.Equal(5, report.CheckedInodes);
        Assert.Equal(4, report.CheckedStripes); // 1 replicated + 3 erasure-coded (512 KiB stripes at 2 × 256 KiB)
        Assert.Equal(0, report.BytesVerified);
        Assert.Empty(report.Issues);
    }

    [Fact]
    public void FullFsck_FindsFlippedShards_RepairFixesThem_SecondFullIsClean()
    {
        using var pool = new TempPool(size: "64MiB");
        var files = new Dictionary<string, byte[]>
        {
            ["a"] = RandomBytes(1_500_000, 10),
            ["b"] = RandomBytes(1_100_000, 11),
            ["c"] = RandomBytes(12_000, 12), // replicated
        };
        Dictionary<int, string> paths;
        var flipped = new List<ShardLocation>();
        using (var v = pool.Open())
        {
            foreach (var (name, data) in files) WriteFile(v, name, data);
            paths = MemberPaths(v);
            var a = Stripes(v, Lookup(v, "a"));
            var b = Stripes(v, Lookup(v, "b"));
            var c = Stripes(v, Lookup(v, "c"));
            flipped.Add(a[0].Value.Shards.Span[0]);  // data shard
            flipped.Add(a[2].Value.Shards.Span[2]);  // parity shard
            flipped.Add(b[1].Value.Shards.Span[1]);
            flipped.Add(c[0].Value.Shards.Span[1]);  // second replica
        }
        foreach (var shard in flipped) FlipShard(paths, shard);

        using (var ro = pool.Open(readOnly: true))
        {
            Assert.True(ro.Fsck().Ok, "metadata-only fsck cannot see shard corruption and must not claim to");
            var full = ro.Fsck(new FsckOptions { Full = true });
            Assert.False(full.Ok);
            Assert.Equal(4, full.CorruptShards);
            Assert.Equal(4, full.Issues.Count(i => i.Kind == "corrupt-shard"));
            Assert.Empty(full.Unrecoverable);
            Assert.Equal(4, full.MemberErrors.Values.Sum());
            Assert.True(full.BytesVerified > 2_600_000);
        }
        using (var rw = pool.Open())
        {
            var repair = rw.Fsck(new FsckOptions { Full = true, Repair = true });
            Assert.True(repair.Ok, string.Join("; ", repair.Unrecoverable.Select(u => u.Reason)));
            Assert.Equal(4, repair.CorruptShards);
            Assert.Equal(4, repair.RepairedShards);
            Assert.All(repair.Issues.Where(i => i.Kind == "corrupt-shard"), i => Assert.True(i.Repaired));
        }
        using (var ro = pool.Open(readOnly: true))
        {
            var again = ro.Fsck(new FsckOptions { Full = true });
            Assert.True(again.Ok);
            Assert.Equal(0, again.CorruptShards);
            Assert.Equal(0, again.LeakedExtents); // the corrupt extents were freed, the new ones committed
            foreach (var (name, data) in files) Assert.Equal(data, ReadAll(ro, Lookup(ro, name)));
        }
    }

    [Fact]
    public void Repair_MissingMemberWithSpare_RebuildsLostShardsOntoTheSpare()
    {
        using var pool = new TempPool(members: 4, size: "64MiB");
        var data = RandomBytes(3_000_000, 20);
        var small = RandomBytes(9_000, 21);
        using (var v = pool.Open())
        {
            WriteFile(v, "big", data);
            WriteFile(v, "small", small);
        }
        File.Delete(pool.Images[1]);
        var survivors = new[] { pool.Images[0], pool.Images[2], pool.Images[3] };
        long missing;
        using (var ro = pool.Open(readOnly: true, images: survivors))
        {
            var check = ro.Fsck();
            missing = check.MissingShards;
            Assert.True(missing > 0, "member 1 held no shard; the test needs one there");
            Assert.False(check.Ok);
            Assert.Contains(check.Issues, i => i.Kind == "missing-member-shards");
        }
        using (var rw = pool.Open(images: survivors))
        {
            var repair = rw.Fsck(new FsckOptions { Repair = true });
            Assert.True(repair.Ok, string.Join("; ", repair.Unrecoverable.Select(u => u.Reason)));
            Assert.Equal(missing, repair.RepairedShards);
        }
        using (var ro = pool.Open(readOnly: true, images: survivors))
        {
            var after = ro.Fsck(new FsckOptions { Full = true });
            Assert.True(after.Ok);
            Assert.Equal(0, after.MissingShards);
            Assert.All(Stripes(ro, Lookup(ro, "big")), s => Assert.DoesNotContain(s.Value.Shards.ToArray(), l => l.Member == 1));
            Assert.Equal(data, ReadAll(ro, Lookup(ro, "big")));
            Assert.Equal(small, ReadAll(ro, Lookup(ro, "small")));
        }
    }

    [Fact]
    public void Repair_MissingMemberWithoutSpare_IsUnrecoverableForNow()
    {
        using var pool = new TempPool(members: 3, size: "64MiB");
        var data = RandomBytes(2_000_000, 30);
        using (var v = pool.Open()) WriteFile(v, "big", data);
        File.Delete(pool.Images[2]);
        var survivors = new[] { pool.Images[0], pool.Images[1] };
        using var rw = pool.Open(images: survivors);
        var repair = rw.Fsck(new FsckOptions { Repair = true });
        Assert.False(repair.Ok);
        Assert.Equal(0, repair.RepairedShards);
        Assert.NotEmpty(repair.Unrecoverable);
        Assert.All(repair.Unrecoverable, u => Assert.Contains("no spare member; replace the missing member", u.Reason));
        Assert.All(repair.Unrecoverable, u => Assert.Equal("/big", u.Path));
        Assert.Equal(data, ReadAll(rw, Lookup(rw, "big"))); // still readable degraded
    }

    [Fact]
    public void Repair_MorePlusOneCorruptShardsInOneStripe_ListsItUnrecoverable_FixesTheRest()
    {
        using var pool = new TempPool(size: "64MiB");
        var data = RandomBytes(1_500_000, 40);
        Dictionary<int, string> paths;
        StripeRecord lost, fixable;
        using (var v = pool.Open())
        {
            var ino = WriteFile(v, "f", data);
            paths = MemberPaths(v);
            var stripes = Stripes(v, ino);
            lost = stripes[1].Value;
            fixable = stripes[2].Value;
        }
        FlipShard(paths, lost.Shards.Span[0]);
        FlipShard(paths, lost.Shards.Span[2]); // m + 1 = 2 of 3 shards
        FlipShard(paths, fixable.Shards.Span[1]);
        using var rw = pool.Open();
        var repair = rw.Fsck(new FsckOptions { Full = true, Repair = true });
        Assert.False(repair.Ok);
        var u = Assert.Single(repair.Unrecoverable);
        Assert.Equal(1UL, u.Stripe);
        Assert.Equal("/f", u.Path);
        Assert.Contains("only 1 of 3 shards are good", u.Reason);
        Assert.Equal(3, repair.CorruptShards);
        Assert.Equal(1, repair.RepairedShards);
    }

    [Fact]
    public void Leak_CommittedAllocationWithoutReference_IsReported_AndRepairFreesIt()
    {
        using var pool = new TempPool(size: "64MiB");
        Extent leak;
        using (var v = pool.Open())
        {
            WriteFile(v, "f", RandomBytes(700_000, 50));
            leak = v.Log.Allocator.Allocate(new MemberIndex(0), 64 * 1024);
            v.Mutate(_ => { }, durable: true, extraOps: [AllocOps.Allocated(leak)]);
        }
        using (var ro = pool.Open(readOnly: true))
        {
            var report = ro.Fsck();
            Assert.False(report.Ok);
            Assert.Equal(1, report.LeakedExtents);
            Assert.Equal(64 * 1024, report.LeakedBytes);
            Assert.Contains(report.Issues, i => i.Kind == "leak" && i.Message.Contains($"[{leak.OffsetBytes}, +65536)"));
        }
        using (var rw = pool.Open())
        {
            var used = rw.Info.Members[0].UsedBytes;
            var repair = rw.Fsck(new FsckOptions { Repair = true });
            Assert.True(repair.Ok);
            Assert.Equal(1, repair.FreedLeakedExtents);
            Assert.Equal(used - 64 * 1024, rw.Info.Members[0].UsedBytes);
        }
        using (var ro = pool.Open(readOnly: true))
        {
            var report = ro.Fsck();
            Assert.True(report.Ok);
            Assert.Equal(0, report.LeakedExtents);
        }
    }

    [Fact]
    public void MetadataOnlyFsck_ReadsNoDeviceBytes_FullFsckDoes()
    {
        using var pool = new TempPool(size: "64MiB");
        using (var v = pool.Open())
        {
            WriteFile(v, "a", RandomBytes(1_500_000, 60));
            WriteFile(v, "b", RandomBytes(5_000, 61));
        }
        using var ro = ReadCountingDevice.OpenReadOnly(pool, out var reads);
        var before = reads();
        var report = ro.Fsck();
        Assert.True(report.Ok);
        Assert.Equal(before, reads());
        ro.Fsck(new FsckOptions { Full = true });
        Assert.Equal(before + 3 * 3 + 2, reads()); // 3 stripes × (2+1) shards, 1 stripe × 2 replicas
    }

    [Fact]
    public void Repair_LargeSparseFile_Past256MiB_RepairsStripeByStripe()
    {
        using var pool = new TempPool(size: "64MiB");
        var head = RandomBytes(600_000, 70);
        var middle = RandomBytes(300_000, 71);
        var tail = RandomBytes(700_000, 72);
        const ulong middleAt = 150UL << 20, tailAt = 299UL << 20;
        Dictionary<int, string> paths;
        List<KeyValuePair<StripeIndex, StripeRecord>> stripes;
        using (var v = pool.Open())
        {
            var ino = WriteFile(v, "sparse", head);
            v.Write(ino, middleAt, middle, Root);
            v.Write(ino, tailAt, tail, Root);
            v.Flush(ino);
            paths = MemberPaths(v);
            stripes = Stripes(v, ino);
            Assert.True(v.GetAttr(ino).Size > 256UL << 20);
        }
        var last = stripes[^1].Value;
        FlipShard(paths, last.Shards.Span[0]);
        FlipShard(paths, stripes[^2].Value.Shards.Span[1]);
        FlipShard(paths, stripes[0].Value.Shards.Span[2]);
        using (var rw = pool.Open())
        {
            var repair = rw.Fsck(new FsckOptions { Full = true, Repair = true });
            Assert.True(repair.Ok, string.Join("; ", repair.Unrecoverable.Select(u => u.Reason)));
            Assert.Equal(3, repair.RepairedShards);
            Assert.Equal(stripes.Count, repair.CheckedStripes);
        }
        using var ro = pool.Open(readOnly: true);
        Assert.True(ro.Fsck(new FsckOptions { Full = true }).Ok);
        var ino2 = Lookup(ro, "sparse");
        var buffer = new byte[tail.Length];
        ro.Read(ino2, tailAt, buffer);
        Assert.Equal(tail, buffer);
        buffer = new byte[middle.Length];
        ro.Read(ino2, middleAt, buffer);
        Assert.Equal(middle, buffer);
    }

    [Fact]
    public void Unreachable_Inode_IsReported_AndRemoveOrphansFreesItsData()
    {
        using var pool = new TempPool(size: "64MiB");
        using (var v = pool.Open())
        {
            var ino = WriteFile(v, "lost", RandomBytes(1_000_000, 80));
            WriteFile(v, "kept", RandomBytes(1_000, 81));
            CommitRaw(v, RecordOp.Delete(RecordKind.Dirent, DirentCodec.EncodeKey(InodeId.Root, "lost"u8)));
            // the root directory's record does not change: a plain file entry does not count in its nlink
            Assert.True(v.Namespace.Exists(ino));
        }
        using (var ro = pool.Open(readOnly: true))
        {
            var report = ro.Fsck();
            Assert.False(report.Ok);
            Assert.Equal(1, report.Orphans);
            Assert.Contains(report.Issues, i => i.Kind == "unreachable");
        }
        using (var rw = pool.Open())
        {
            var used = rw.Info.Members.Sum(m => m.UsedBytes);
            var repaired = rw.Fsck(new FsckOptions { Repair = true });
            Assert.False(repaired.Ok); // --repair alone leaves orphans alone
            var removed = rw.Fsck(new FsckOptions { RemoveOrphans = true });
            Assert.True(removed.Ok);
            Assert.Equal(1, removed.RemovedOrphans);
            rw.Sync();
            Assert.True(rw.Info.Members.Sum(m => m.UsedBytes) < used - 1_000_000);
        }
        using var after = pool.Open(readOnly: true);
        var clean = after.Fsck();
        Assert.True(clean.Ok);
        Assert.Equal(0, clean.Orphans);
        Assert.Equal(0, clean.LeakedExtents);
    }

    [Fact]
    public void WrongNlink_AndDanglingEntry_AreRepaired()
    {
        using var pool = new TempPool(size: "64MiB");
        InodeId file, victim;
        using (var v = pool.Open())
        {
            file = WriteFile(v, "f", RandomBytes(2_000, 90));
            victim = WriteFile(v, "gone", RandomBytes(800_000, 91));
            var record = InodeRecordOf(v, file);
            CommitRaw(v,
                RecordOp.Put(RecordKind.Inode, InodeRecordCodec.EncodeKey(file),
                    InodeRecordCodec.EncodeValue(record with { Attributes = record.Attributes with { Nlink = 7 } })),
                RecordOp.Delete(RecordKind.Inode, InodeRecordCodec.EncodeKey(victim)));
        }
        using (var ro = pool.Open(readOnly: true))
        {
            var report = ro.Fsck();
            Assert.False(report.Ok);
            Assert.Contains(report.Issues, i => i.Kind == "nlink" && i.Inode == file && i.Path == "/f");
            Assert.Contains(report.Issues, i => i.Kind == "dangling-entry" && i.Path == "/gone");
            Assert.Contains(report.Issues, i => i.Kind == "stripe-without-file" && i.Inode == victim);
        }
        using (var rw = pool.Open())
        {
            var report = rw.Fsck(new FsckOptions { Repair = true });
            Assert.True(report.Ok, string.Join("; ", report.Issues.Where(i => !i.Repaired).Select(i => i.Message)));
            Assert.Equal(1u, rw.GetAttr(file).Nlink);
        }
        using var after = pool.Open(readOnly: true);
        var clean = after.Fsck(new FsckOptions { Full = true });
        Assert.True(clean.Ok, string.Join("; ", clean.Issues.Select(i => i.Message)));
        Assert.Empty(clean.Issues);
    }

    [Fact]
    public void Scrub_IsPacedByTheTokenBucket()
    {
        using var pool = new TempPool(size: "64MiB");
        using (var v = pool.Open()) WriteFile(v, "f", RandomBytes(2_000_000, 100));
        using var rw = pool.Open();
        const long rate = 4L << 20;
        var clock = Stopwatch.StartNew();
        var report = rw.Scrub(maxBytesPerSecond: rate);
        clock.Stop();
        Assert.True(report.Ok);
        Assert.True(report.BytesVerified >= 3_000_000);
        var burst = rate / 10;
        var floor = TimeSpan.FromSeconds((report.BytesVerified - burst) / (double)rate * 0.9);
        Assert.True(clock.Elapsed >= floor, $"scrub of {report.BytesVerified} bytes at {rate} B/s took {clock.Elapsed}, expected at least {floor}");
    }
    [Fact]
    public void SharedExtent_IsReported_AndTheOrphanedExtentsShowAsLeaks()
    {
        using var pool = new TempPool(size: "64MiB");
        using (var v = pool.Open())
        {
            var a = WriteFile(v, "a", RandomBytes(600_000, 110));
            var b = WriteFile(v, "b", RandomBytes(600_000, 111));
            var aStripe = Stripes(v, a)[0].Value;
            CommitRaw(v, RecordOp.Put(RecordKind.Stripe, StripeRecordCodec.EncodeKey(b, new StripeIndex(0)), StripeRecordCodec.EncodeValue(aStripe)));
        }
        using var ro = pool.Open(readOnly: true);
        var report = ro.Fsck();
        Assert.False(report.Ok);
        Assert.Equal(3, report.Issues.Count(i => i.Kind == "shared-extent"));
        Assert.Contains(report.Issues, i => i.Kind == "shared-extent" && i.Path == "/b");
        Assert.Equal(3, report.LeakedExtents); // b's own three shards are referenced by nothing now
    }

    [Fact]
    public void MetadataOnlyFsck_TenThousandFiles_IsQuick()
    {
        using var pool = new TempPool(size: "64MiB");
        using var v = pool.Open();
        v.Mutate(tx =>
        {
            for (var d = 0; d < 100; d++)
            {
                var dir = v.Namespace.Mkdir(tx, InodeId.Root, System.Text.Encoding.UTF8.GetBytes($"d{d}"), 0x1ED, Root).Ino;
                for (var f = 0; f < 100; f++)
                {
                    v.Namespace.Create(tx, dir, System.Text.Encoding.UTF8.GetBytes($"f{f}"), 0x81A4, Root);
                }
            }
        });
        v.Sync();
        v.Fsck(); // JIT warm-up
        var clock = Stopwatch.StartNew();
        var report = v.Fsck();
        clock.Stop();
        output.WriteLine($"metadata fsck of {report.CheckedInodes} inodes: {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(report.Ok);
        Assert.Equal(1 + 100 + 10_000, report.CheckedInodes);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"metadata fsck of 10,101 inodes took {clock.Elapsed}");
    }
}
