using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Platform;
using Xunit;
using static Argos.Metadata.Tests.Namespace.Harness;

namespace Argos.Metadata.Tests.Namespace;

public class NamespaceTransactionTests
{
    [Fact]
    public void Mkdir_ProducesExactlyTheTouchedRecords()
    {
        using var h = new Harness();
        using NamespaceTransaction tx = h.Ns.Begin();
        InodeAttributes d = h.Ns.Mkdir(tx, R, N("etc"), 0x1ED, Root);
        IReadOnlyList<RecordOp> ops = tx.Complete();
        Assert.Equal(4, ops.Count); // counter, new inode, dirent, parent inode
        Assert.Single(ops, o => o.Kind == RecordKind.NamespaceCounter);
        Assert.Single(ops, o => o.Kind == RecordKind.Dirent && o.Key.Span.SequenceEqual(DirentCodec.EncodeKey(R, "etc"u8)));
        Assert.Equal(2, ops.Count(o => o.Kind == RecordKind.Inode && !o.IsDelete));
        Assert.All(ops, o => Assert.False(o.IsDelete));
        Assert.Equal(d.Ino, h.Ns.Lookup(R, "etc"u8).Ino);
    }

    [Fact]
    public void RecordChangedTwice_IsPutOnceWithFinalValue()
    {
        using var h = new Harness();
        using NamespaceTransaction tx = h.Ns.Begin();
        InodeAttributes f = h.Ns.Create(tx, R, N("f"), 0x1A4, Root);
        h.Ns.SetAttr(tx, f.Ino, new SetAttrRequest { Mode = 0x180 }, Root);
        h.Ns.SetAttr(tx, f.Ino, new SetAttrRequest { Uid = 5 }, Root);
        IReadOnlyList<RecordOp> ops = tx.Complete();
        RecordOp put = Assert.Single(ops, o => o.Kind == RecordKind.Inode && o.Key.Span.SequenceEqual(InodeRecordCodec.EncodeKey(f.Ino)));
        Assert.True(InodeRecordCodec.TryDecodeValue(f.Ino, put.Value!.Value.Span, out InodeRecord rec, out _));
        Assert.Equal((PosixMode.S_IFREG | 0x180u, 5u), (rec.Attributes.Mode, rec.Attributes.Uid));
    }

    [Fact]
    public void FailedOperation_LeavesNoTrace_TransactionContinues()
    {
        using var h = new Harness();
        h.Create(R, "taken");
        List<string> before = Dump(h.Ns);
        using NamespaceTransaction tx = h.Ns.Begin();
        h.Ns.Mkdir(tx, R, N("ok"), 0x1ED, Root);
        var e = Assert.Throws<NamespaceException>(() => h.Ns.Mkdir(tx, R, N("taken"), 0x1ED, Root));
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Contains("taken", e.Message);
        h.Ns.Create(tx, R, N("ok2"), 0x1A4, Root);
        IReadOnlyList<RecordOp> ops = tx.Complete();
        using var replayed = new FsNamespace();
        foreach (RecordOp op in h.Log.Concat(ops))
        {
            replayed.Apply(op);
        }
        Assert.Equal(Dump(h.Ns), Dump(replayed));
        Assert.NotEqual(before, Dump(h.Ns));
    }

    [Fact]
    public void Rollback_RestoresExactState()
    {
        using var h = new Harness();
        InodeId d = h.Mkdir(R, "d");
        InodeId f = h.Create(d, "f");
        InodeId keep = h.Create(R, "keep");
        h.Run(tx => h.Ns.SetXattr(tx, f, N("user.x"), N("1"), XattrFlags.None, Root));
        h.Run(tx => h.Ns.PutStripe(tx, f, new StripeIndex(0), RecordEncodingTests.SampleStripe()));
        List<string> before = Dump(h.Ns);
        var names = h.Names(R);

        NamespaceTransaction tx = h.Ns.Begin();
        h.Ns.Rename(tx, d, N("f"), R, N("moved"));
        h.Ns.Unlink(tx, R, N("moved"));
        h.Ns.Rmdir(tx, R, N("d"));
        h.Ns.Mkdir(tx, R, N("new"), 0x1ED, Root);
        h.Ns.Tmpfile(tx, R, 0x180, Root);
        h.Ns.SetAttr(tx, keep, new SetAttrRequest { Mode = 0x1FF, Size = 10 }, Root);
        h.Ns.SetXattr(tx, keep, N("user.y"), N("2"), XattrFlags.None, Root);
        tx.Complete();
        Assert.False(h.Ns.Exists(f));
        tx.Rollback();
        tx.Dispose();

        Assert.Equal(before, Dump(h.Ns));
        Assert.Equal(names, h.Names(R));
        Assert.Equal(f, h.Lookup(d, "f").Ino);
        Assert.Equal(1, h.Ns.GetOpenCount(f) + 1);
        h.Create(R, "after"); // the namespace keeps working and numbering continues
    }

    [Fact]
    public void Dispose_WithoutComplete_RollsBack()
    {
        using var h = new Harness();
        List<string> before = Dump(h.Ns);
        using (NamespaceTransaction tx = h.Ns.Begin())
        {
            h.Ns.Mkdir(tx, R, N("a"), 0x1ED, Root);
        }
        Assert.Equal(before, Dump(h.Ns));
        Assert.Equal(Errno.ENOENT, ErrnoOf(() => h.Lookup(R, "a")));
    }

    [Fact]
    public void CompletedTransaction_RefusesMoreOperations()
    {
        using var h = new Harness();
        using NamespaceTransaction tx = h.Ns.Begin();
        tx.Complete();
        Assert.Throws<InvalidOperationException>(() => h.Ns.Mkdir(tx, R, N("a"), 0x1ED, Root));
        Assert.Throws<InvalidOperationException>(() => tx.Complete());
    }

    [Fact]
    public async Task Begin_WaitsForPreviousTransaction()
    {
        using var h = new Harness();
        NamespaceTransaction first = h.Ns.Begin();
        Task<NamespaceTransaction> second = Task.Run(() => h.Ns.Begin());
        Assert.NotSame(second, await Task.WhenAny(second, Task.Delay(200)));
        first.Complete();
        first.Dispose();
        Assert.Same(second, await Task.WhenAny(second, Task.Delay(5000)));
        (await second).Dispose();
    }

    [Fact]
    public void Apply_MalformedRecords_ThrowTypedErrors()
    {
        using var ns = new FsNamespace();
        var e = Assert.Throws<RecordFormatException>(() => ns.Apply(RecordOp.Put(RecordKind.Inode, InodeRecordCodec.EncodeKey(new InodeId(2)), new byte[] { 1, 0, 0, 0, 0 })));
        Assert.Equal(RecordDecodeError.Truncated, e.Error);
        Assert.Contains("fsck", e.Message);
        Assert.Throws<RecordFormatException>(() => ns.Apply(RecordOp.Put(RecordKind.Dirent, new byte[3], new byte[20])));
        Assert.Throws<RecordFormatException>(() => ns.Apply(RecordOp.Put(RecordKind.Orphan, new byte[8], Array.Empty<byte>())));
        Assert.Throws<RecordFormatException>(() => ns.Apply(RecordOp.Put(RecordKind.NamespaceCounter, Array.Empty<byte>(), new byte[] { 9 })));
        Assert.Throws<ArgumentException>(() => ns.Apply(RecordOp.Put(RecordKind.AllocExtent, new byte[12], new byte[8])));
    }

    [Fact]
    public void CarriedRecordsAndSnapshots_RoundTripThroughCheckpoint()
    {
        using var h = new Harness();
        h.Run(tx => h.Ns.PutRecord(tx, RecordKind.Member, new byte[4], new byte[] { 1, 2, 3 }));
        h.Run(tx => h.Ns.PutRecord(tx, RecordKind.PoolConfig, Array.Empty<byte>(), new byte[] { 4, 5 }));
        var snap = new SnapshotRecord(1, new Timespec(10, 0), 5, 2, 3, 4096);
        h.Run(tx => h.Ns.PutSnapshot(tx, N("before-upgrade"), snap));
        Assert.Throws<ArgumentException>(() => h.Run(tx => h.Ns.PutRecord(tx, RecordKind.Inode, new byte[] { 1 }, new byte[] { 1 })));
        using var fresh = new FsNamespace();
        foreach (RecordOp op in h.Ns.EnumerateAll())
        {
            fresh.Apply(op);
        }
        Assert.True(fresh.TryGetRecord(RecordKind.Member, [0, 0, 0, 0], out ReadOnlyMemory<byte> member));
        Assert.Equal(new byte[] { 1, 2, 3 }, member.ToArray());
        KeyValuePair<ReadOnlyMemory<byte>, SnapshotRecord> s = Assert.Single(fresh.ListSnapshots());
        Assert.Equal(snap, s.Value);
        Assert.True(h.Run(tx => h.Ns.DeleteRecord(tx, RecordKind.Member, [0, 0, 0, 0])));
        Assert.False(h.Ns.TryGetRecord(RecordKind.Member, [0, 0, 0, 0], out _));
        Assert.Equal(Dump(h.Ns), Dump(h.Replay()));
    }

    [Fact]
    public void Stripes_PutGetRangeTruncate()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        for (ulong i = 0; i < 10; i++)
        {
            h.Run(tx => h.Ns.PutStripe(tx, f, new StripeIndex(i), RecordEncodingTests.SampleStripe() with { RawLength = i }));
        }
        Assert.True(h.Ns.TryGetStripe(f, new StripeIndex(3), out StripeRecord s3) && s3.RawLength == 3);
        var range = new List<KeyValuePair<StripeIndex, StripeRecord>>();
        Assert.Equal(4, h.Ns.GetStripes(f, new StripeIndex(6), 100, range));
        IReadOnlyList<KeyValuePair<StripeIndex, StripeRecord>> removed = h.Run(tx => h.Ns.RemoveStripesFrom(tx, f, new StripeIndex(8)));
        Assert.Equal([8UL, 9UL], removed.Select(r => r.Key.Value));
        Assert.False(h.Ns.TryGetStripe(f, new StripeIndex(8), out _));
        InodeId d = h.Mkdir(R, "d");
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.PutStripe(tx, d, new StripeIndex(0), RecordEncodingTests.SampleStripe())));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.PutStripe(tx, f, new StripeIndex(0), RecordEncodingTests.SampleStripe() with { Shards = new ShardLocation[1] })));
        Assert.Equal(Dump(h.Ns), Dump(h.Replay()));
    }

    [Theory]
    [InlineData(10, 3, 5)]     // a few from the middle: removed in place
    [InlineData(100, 10, 90)]  // many from the middle: the survivors are copied
    [InlineData(10, 0, 10)]    // all of them
    [InlineData(10, 4, 4)]     // an empty range
    public void RemoveStripes_Range_RemovesOnlyThoseAndReplays(int count, int first, int end)
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        for (ulong i = 0; i < (ulong)count; i++)
        {
            h.Run(tx => h.Ns.PutStripe(tx, f, new StripeIndex(i), RecordEncodingTests.SampleStripe() with { RawLength = i }));
        }
        IReadOnlyList<KeyValuePair<StripeIndex, StripeRecord>> removed =
            h.Run(tx => h.Ns.RemoveStripes(tx, f, new StripeIndex((ulong)first), new StripeIndex((ulong)end)));
        Assert.Equal(Enumerable.Range(first, end - first).Select(i => (ulong)i), removed.Select(r => r.Key.Value));
        Assert.All(removed, r => Assert.Equal(r.Key.Value, r.Value.RawLength));
        var left = new List<KeyValuePair<StripeIndex, StripeRecord>>();
        h.Ns.GetStripes(f, new StripeIndex(0), int.MaxValue, left);
        Assert.Equal(Enumerable.Range(0, count).Where(i => i < first || i >= end).Select(i => (ulong)i), left.Select(r => r.Key.Value));
        Assert.Equal(count - (end - first), h.Ns.StripeCount(f));
        Assert.Equal(Dump(h.Ns), Dump(h.Replay()));
    }

    [Fact]
    public void EnumerateAll_DetectsConcurrentMutation()
    {
        using var h = new Harness();
        h.Create(R, "a");
        h.Create(R, "b");
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (RecordOp _ in h.Ns.EnumerateAll())
            {
                h.Create(R, Guid.NewGuid().ToString("N"));
            }
        });
    }
}
