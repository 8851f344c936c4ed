using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Storage;
using Argos.Volume.Maintenance;
using Argos.Volume.Snapshots;
using Xunit;
using static Argos.Volume.Tests.FsckTestSupport;

namespace Argos.Volume.Tests;

/// <summary>Named snapshots on real pools of image files (docs/format.md §9, I-S1 … I-S5).</summary>
public sealed class SnapshotTests
{
    private static readonly Dictionary<string, byte[]> s_tree = new()
    {
        ["inline"] = RandomBytes(200, 1),
        ["replicated"] = RandomBytes(20_000, 2),
        ["striped"] = RandomBytes(1_300_000, 3),
        ["truncated"] = RandomBytes(900_000, 4),
        ["deleted"] = RandomBytes(700_000, 5),
    };

    private static void BuildTree(ArgosVolume v)
    {
        foreach (var (name, data) in s_tree) WriteFile(v, name, data);
        var dir = v.Mutate(tx => v.Namespace.Mkdir(tx, InodeId.Root, "dir"u8, 0x1ED, Root)).Ino;
        v.Mutate(tx => v.Namespace.Symlink(tx, dir, "link"u8, "../striped"u8, Root));
        v.Mutate(tx => v.Namespace.SetXattr(tx, Lookup(v, "striped"), "user.tag"u8, "v1"u8, XattrFlags.None, Root));
    }

    /// <summary>Overwrite, truncate, delete and add in the live tree after the snapshot.</summary>
    private static void ChurnLiveTree(ArgosVolume v)
    {
        var striped = Lookup(v, "striped");
        v.Write(striped, 0, RandomBytes(1_300_000, 30), Root);
        v.Flush(striped);
        v.Write(Lookup(v, "inline"), 0, RandomBytes(150, 31), Root);
        v.Flush(Lookup(v, "inline"));
        v.Truncate(Lookup(v, "truncated"), 1000, Root);
        v.Truncate(Lookup(v, "replicated"), 0, Root);
        v.Mutate(tx => v.Namespace.Unlink(tx, InodeId.Root, "deleted"u8));
        v.Mutate(tx => v.Namespace.SetXattr(tx, striped, "user.tag"u8, "v2"u8, XattrFlags.None, Root));
        WriteFile(v, "new-after", RandomBytes(2_000_000, 32));
        v.Sync();
    }

    private static void AssertSnapshotMatchesOriginal(ArgosVolume v, string name)
    {
        using SnapshotView view = v.OpenSnapshot(name);
        foreach (var (file, data) in s_tree)
        {
            var ino = view.Namespace.Lookup(InodeId.Root, Encoding.UTF8.GetBytes(file)).Ino;
            Assert.Equal((ulong)data.Length, view.GetAttr(ino).Size);
            var back = new byte[data.Length];
            Assert.Equal(data.Length, view.Read(ino, 0, back));
            Assert.True(data.AsSpan().SequenceEqual(back), $"snapshot '{name}': {file} differs");
        }
        Assert.Throws<NamespaceException>(() => view.Namespace.Lookup(InodeId.Root, "new-after"u8));
        var dir = view.Namespace.Lookup(InodeId.Root, "dir"u8).Ino;
        var link = view.Namespace.Lookup(dir, "link"u8).Ino;
        Assert.Equal("../striped", Encoding.UTF8.GetString(view.Namespace.Readlink(link).Span));
        var tag = view.Namespace.GetXattr(view.Namespace.Lookup(InodeId.Root, "striped"u8).Ino, "user.tag"u8, Root);
        Assert.Equal("v1", Encoding.UTF8.GetString(tag.Span));
    }

    private static long UsedBytes(ArgosVolume v) => v.Info.Members.Sum(m => m.UsedBytes);

    private static void AssertFsckClean(ArgosVolume v, bool full = true)
    {
        var report = v.Fsck(new FsckOptions { Full = full });
        Assert.True(report.Ok, string.Join("; ", report.Issues.Select(i => $"{i.Kind}: {i.Message}")));
        Assert.DoesNotContain(report.Issues, i => i.Kind == "leak");
    }

    [Fact]
    public void Snapshot_LiveOverwriteTruncateUnlink_SnapshotReadsBackIdentical_AfterReopenAndCheckpoint()
    {
        using var pool = new TempPool(size: "64MiB");
        using (var v = pool.Open())
        {
            BuildTree(v);
            var info = v.CreateSnapshot("before");
            Assert.Equal(1UL, info.Record.Id);
            Assert.Equal(8UL, info.Record.InodeCount); // root, 5 files, dir, symlink
            Assert.True(info.Record.ReferencedBytes > 2_900_000);
            ChurnLiveTree(v);
            AssertSnapshotMatchesOriginal(v, "before");
            Assert.Equal(RandomBytes(1_300_000, 30), ReadAll(v, Lookup(v, "striped")));
            Assert.Equal(1000UL, v.GetAttr(Lookup(v, "truncated")).Size);
            AssertFsckClean(v);
        }
        using (var v = pool.Open())
        {
            AssertSnapshotMatchesOriginal(v, "before");
            v.Log.Checkpoint();
        }
        using (var v = pool.Open(readOnly: true))
        {
            AssertSnapshotMatchesOriginal(v, "before");
            var listed = Assert.Single(v.ListSnapshots());
            Assert.Equal("before", listed.Name);
            AssertFsckClean(v);
        }
    }

    [Fact]
    public void Invariant_IS3_PinnedExtentsAreNotReused_WhileLiveTreeChurns()
    {
        using var pool = new TempPool(size: "64MiB");
        using var v = pool.Open();
        BuildTree(v);
        v.CreateSnapshot("s");
        // Rewrite every file several times: freed extents are reused at once unless pinned.
        for (var round = 0; round < 4; round++)
        {
            foreach (var (name, data) in s_tree.Where(f => f.Key != "deleted"))
            {
                var ino = Lookup(v, name);
                v.Write(ino, 0, RandomBytes(data.Length, 100 + round), Root);
                v.Flush(ino);
            }
            v.Sync();
        }
        v.Mutate(tx => v.Namespace.Unlink(tx, InodeId.Root, "deleted"u8));
        v.Sync();
        AssertSnapshotMatchesOriginal(v, "s");
        AssertFsckClean(v);
    }

    [Fact]
    public void DeleteSnapshot_ReturnsTheSpace_FsckFullCleanBeforeAndAfter()
    {
        using var pool = new TempPool(size: "64MiB");
        using (var v = pool.Open())
        {
            BuildTree(v);
            v.Sync();
            var baseline = UsedBytes(v);
            v.CreateSnapshot("keep");
            ChurnLiveTree(v);
            v.Sync();
            var pinned = UsedBytes(v);
            AssertFsckClean(v);
            var freed = v.DeleteSnapshot("keep");
            Assert.True(freed > 2_000_000, $"freed {freed}");
            v.Sync();
            var after = UsedBytes(v);
            Assert.True(after < pinned - 2_000_000, $"used {pinned} → {after}");
            Assert.True(after > baseline - 4_000_000);
            Assert.Empty(v.ListSnapshots());
            AssertFsckClean(v);
        }
        using (var v = pool.Open())
        {
            Assert.Empty(v.ListSnapshots());
            Assert.Empty(v.Namespace.FrozenRecordCounts());
            Assert.False(v.Namespace.HasPins);
            AssertFsckClean(v);
        }
    }

    [Fact]
    public void TwoSnapshots_ShareExtents_DeletingOneKeepsTheOther()
    {
        using var pool = new TempPool(size: "64MiB");
        using var v = pool.Open();
        BuildTree(v);
        v.CreateSnapshot("a");
        v.CreateSnapshot("b");
        Assert.Equal([1UL, 2UL], v.ListSnapshots().Select(s => s.Record.Id));
        ChurnLiveTree(v);
        Assert.Equal(0, v.DeleteSnapshot("a")); // b still pins everything a pinned
        AssertSnapshotMatchesOriginal(v, "b");
        AssertFsckClean(v);
        var c = v.CreateSnapshot("c");
        Assert.Equal(3UL, c.Record.Id);
        Assert.True(v.DeleteSnapshot("b") > 2_000_000);
        AssertFsckClean(v);
        Assert.Equal(0, v.DeleteSnapshot("c")); // the live tree still uses everything c pinned
        AssertFsckClean(v);
    }

    [Fact]
    public void BadInput_DuplicateUnknownOrInvalidName_FailsAndChangesNothing()
    {
        using var pool = new TempPool(size: "64MiB");
        using var v = pool.Open();
        BuildTree(v);
        v.CreateSnapshot("one");
        v.Sync();
        var txid = v.Log.LastTxId;
        var used = UsedBytes(v);
        var dup = Assert.Throws<NamespaceException>(() => v.CreateSnapshot("one"));
        Assert.Equal(Argos.Platform.Errno.EEXIST, dup.Errno);
        Assert.Contains("already exists", dup.Message);
        var unknown = Assert.Throws<NamespaceException>(() => v.DeleteSnapshot("nope"));
        Assert.Equal(Argos.Platform.Errno.ENOENT, unknown.Errno);
        Assert.Contains("snapshot list", unknown.Message);
        Assert.Throws<NamespaceException>(() => v.OpenSnapshot("nope"));
        foreach (var bad in new[] { "", "a/b", "x\0y", new string('n', 256) })
        {
            var e = Assert.Throws<VolumeException>(() => v.CreateSnapshot(bad));
            Assert.Contains("pick another name", e.Message);
        }
        Assert.Equal(txid, v.Log.LastTxId);
        Assert.Equal(used, UsedBytes(v));
        Assert.Equal("one", Assert.Single(v.ListSnapshots()).Name);
    }

    [Theory]
    [InlineData(CrashPoints.DataFlushed)]
    [InlineData(CrashPoints.JournalPartial)]
    [InlineData(CrashPoints.JournalWritten)]
    [InlineData(CrashPoints.JournalFlushed)]
    public void Invariant_I15_CrashDuringSnapshotCreate_LeavesOldOrNewState(string point)
    {
        using var pool = new TempPool(size: "64MiB");
        using (var v = pool.Open())
        {
            BuildTree(v);
        }
        var v2 = pool.Open();
        var crashed = false;
        using (CrashPoints.Arm(point))
        {
            try
            {
                v2.CreateSnapshot("crash");
            }
            catch (CrashInjectedException)
            {
                crashed = true;
            }
        }
        Assert.True(crashed, $"crash point {point} was never reached");
        try { v2.Dispose(); } catch (Exception) { /* poisoned by the crash: members are released unwritten */ }

        using (var v = pool.Open())
        {
            var snaps = v.ListSnapshots();
            if (snaps.Count == 0)
            {
                Assert.Empty(v.Namespace.FrozenRecordCounts());
                Assert.False(v.Namespace.HasPins);
            }
            else
            {
                Assert.Equal("crash", Assert.Single(snaps).Name);
                AssertSnapshotMatchesOriginal(v, "crash");
            }
            AssertFsckClean(v);
            foreach (var (file, data) in s_tree) Assert.Equal(data, ReadAll(v, Lookup(v, file)));
        }
    }
}
