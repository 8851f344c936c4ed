using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Namespace;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Platform;
using Xunit;
using static Argos.Metadata.Tests.Namespace.Harness;

namespace Argos.Metadata.Tests.Namespace;

/// <summary>Snapshot records in the namespace: layouts, create/delete as transactions, rollback, replay (docs/format.md §9).</summary>
public class SnapshotNamespaceTests
{
    [Fact]
    public void SnapshotDataAndPinKeys_ByteLayout()
    {
        byte[] data = SnapshotDataCodec.EncodeDataKey(3, RecordKind.Inode, InodeRecordCodec.EncodeKey(new InodeId(1)));
        Assert.Equal(
            "0300000000000000" + // u64 snapshot id
            "03" +               // u8 frozen kind (Inode)
            "0100000000000000",  // frozen key: u64 inode 1
            Convert.ToHexString(data));
        Assert.True(SnapshotDataCodec.TryDecodeDataKey(data, out ulong id, out ReadOnlySpan<byte> inner));
        Assert.Equal(3UL, id);
        Assert.Equal((byte)RecordKind.Inode, inner[0]);
        Assert.False(SnapshotDataCodec.TryDecodeDataKey(data.AsSpan(0, 8), out _, out _));
        Assert.False(SnapshotDataCodec.TryDecodeDataKey(SnapshotDataCodec.EncodeDataKey(0, RecordKind.Inode, []), out _, out _));
        Assert.False(SnapshotDataCodec.TryDecodeDataKey(SnapshotDataCodec.EncodeDataKey(1, RecordKind.AllocExtent, []), out _, out _));

        byte[] pin = SnapshotDataCodec.EncodePinKey(2, new MemberIndex(1), 0x10000);
        byte[] length = SnapshotDataCodec.EncodePinValue(0x3000);
        Assert.Equal(
            "0200000000000000" + // u64 snapshot id
            "01000000" +         // u32 member
            "0000010000000000",  // u64 offset
            Convert.ToHexString(pin));
        Assert.Equal("0030000000000000", Convert.ToHexString(length)); // u64 length
        Assert.True(SnapshotDataCodec.TryDecodePin(pin, length, out ulong pinId, out Extent e));
        Assert.Equal((2UL, new Extent(new MemberIndex(1), 0x10000, 0x3000)), (pinId, e));
        Assert.False(SnapshotDataCodec.TryDecodePin(pin, SnapshotDataCodec.EncodePinValue(100), out _, out _)); // not block-aligned
        Assert.False(SnapshotDataCodec.TryDecodePin(pin.AsSpan(0, 19), length, out _, out _));
    }

    private static StripeRecord StripeAt(ulong offset) => RecordEncodingTests.SampleStripe() with
    {
        Shards = new[] { new ShardLocation(0, offset, 256 * 1024, 1), new ShardLocation(1, offset, 256 * 1024, 2), new ShardLocation(2, offset, 256 * 1024, 3) },
    };

    [Fact]
    public void CreateSnapshot_FreezesTreeAndPins_RollbackLeavesNothing_ReplayMatches()
    {
        using var h = new Harness();
        InodeId d = h.Mkdir(R, "d");
        InodeId f = h.Create(d, "f");
        h.Run(tx => h.Ns.PutStripe(tx, f, new StripeIndex(0), StripeAt(1 << 20)));
        List<string> before = Dump(h.Ns);

        // A transaction that is never completed rolls back: no frozen records, no pins.
        using (NamespaceTransaction tx = h.Ns.Begin())
        {
            h.Ns.CreateSnapshot(tx, N("s"), new Timespec(5, 0), new TxId(9));
            Assert.True(h.Ns.HasPins);
        }
        Assert.False(h.Ns.HasPins);
        Assert.Empty(h.Ns.FrozenRecordCounts());
        Assert.Equal(before, Dump(h.Ns));

        SnapshotRecord s = h.Run(tx => h.Ns.CreateSnapshot(tx, N("s"), new Timespec(5, 0), new TxId(9)));
        Assert.Equal(1UL, s.Id);
        Assert.Equal(3UL, s.InodeCount);
        Assert.Equal(3UL * 256 * 1024, s.ReferencedBytes);
        Assert.True(h.Ns.IsPinned(new Extent(new MemberIndex(2), 1 << 20, 256 * 1024)));
        var dup = Assert.Throws<NamespaceException>(() => h.Run(tx => h.Ns.CreateSnapshot(tx, N("s"), new Timespec(6, 0), new TxId(10))));
        Assert.Equal(Errno.EEXIST, dup.Errno);

        // The live tree moves on; the view still shows the old tree.
        h.Run(tx => h.Ns.RemoveStripesFrom(tx, f, new StripeIndex(0)));
        h.Run(tx => h.Ns.Unlink(tx, d, N("f")));
        using (FsNamespace view = h.Ns.OpenSnapshot(N("s"), out SnapshotRecord again))
        {
            Assert.Equal(s, again);
            InodeId viewF = view.Lookup(view.Lookup(R, N("d")).Ino, N("f")).Ino;
            Assert.True(view.TryGetStripe(viewF, new StripeIndex(0), out _));
        }
        Assert.True(h.Replay().IsPinned(new Extent(new MemberIndex(0), 1 << 20, 256 * 1024)));
        Assert.Equal(Dump(h.Ns), Dump(h.Replay()));

        // Delete: the extents are no longer in the live tree, so they come back to be freed.
        IReadOnlyList<Extent> free = h.Run(tx => h.Ns.DeleteSnapshot(tx, N("s")));
        Assert.Equal(3, free.Count);
        Assert.False(h.Ns.HasPins);
        Assert.Empty(h.Ns.FrozenRecordCounts());
        Assert.Empty(h.Ns.ListSnapshots());
        Assert.Equal(Errno.ENOENT, Assert.Throws<NamespaceException>(() => h.Run(tx => h.Ns.DeleteSnapshot(tx, N("s")))).Errno);
        Assert.Equal(Dump(h.Ns), Dump(h.Replay()));
    }

    [Fact]
    public void DeleteSnapshot_KeepsExtentsTheLiveTreeStillUses()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        h.Run(tx => h.Ns.PutStripe(tx, f, new StripeIndex(0), StripeAt(1 << 20)));
        h.Run(tx => h.Ns.CreateSnapshot(tx, N("a"), new Timespec(5, 0), new TxId(3)));
        h.Run(tx => h.Ns.CreateSnapshot(tx, N("b"), new Timespec(5, 0), new TxId(4)));
        Assert.Empty(h.Run(tx => h.Ns.DeleteSnapshot(tx, N("a")))); // b still pins
        Assert.True(h.Ns.HasPins);
        Assert.Empty(h.Run(tx => h.Ns.DeleteSnapshot(tx, N("b")))); // the live file still uses them
        Assert.False(h.Ns.HasPins);
    }
}
