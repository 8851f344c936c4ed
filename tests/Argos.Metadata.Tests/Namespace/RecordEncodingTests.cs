using System.Buffers.Binary;
using Xunit;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Metadata.Namespace.Encoding;

namespace Argos.Metadata.Tests.Namespace;

public class RecordEncodingTests
{
    private static InodeRecord SampleInode(uint mode, byte[] data) => new()
    {
        Attributes = new InodeAttributes
        {
            Ino = new InodeId(0x0102030405060708),
            Mode = mode,
            Uid = 1000,
            Gid = 100,
            Nlink = 3,
            Flags = 0x10,
            Size = (ulong)data.Length,
            Rdev = 0x0803,
            Generation = 7,
            Atime = new Timespec(-5, 1),
            Mtime = new Timespec(1_700_000_000, 999_999_999),
            Ctime = new Timespec(long.MaxValue, 2),
            Btime = new Timespec(long.MinValue, 3),
        },
        Parent = 1,
        NextCookie = 42,
        Data = data,
    };

    [Fact]
    public void Inode_FixedLengthAndOffsets_MatchLayout()
    {
        Assert.Equal(116, InodeRecordCodec.FixedLength);
        Assert.Equal(4, InodeRecordCodec.ModeOffset);
        Assert.Equal(64, InodeRecordCodec.AtimeOffset);
        Assert.Equal(112, InodeRecordCodec.DataLengthOffset);
        byte[] value = InodeRecordCodec.EncodeValue(SampleInode(PosixMode.S_IFREG | 0x1A4, [1, 2, 3]));
        Assert.Equal(119, value.Length);
    }

    [Fact]
    public void Inode_AnnotatedBytes_MatchLayout()
    {
        byte[] v = InodeRecordCodec.EncodeValue(SampleInode(PosixMode.S_IFLNK | 0x1FF, "ab"u8.ToArray()));
        Assert.Equal(
            "01" + "00" + "0000"          // version 1, reserved
            + "FFA10000"                  // mode 0120777 (symlink)
            + "E8030000"                  // uid 1000
            + "64000000"                  // gid 100
            + "03000000"                  // nlink 3
            + "10000000"                  // flags 0x10
            + "0200000000000000"          // size 2
            + "0308000000000000"          // rdev 0x803
            + "0700000000000000"          // generation 7
            + "0100000000000000"          // parent 1
            + "2A00000000000000"          // next cookie 42
            + "FBFFFFFFFFFFFFFF" + "01000000" // atime -5 s, 1 ns
            + "00F1536500000000" + "FFC99A3B" // mtime 1700000000 s, 999999999 ns
            + "FFFFFFFFFFFFFF7F" + "02000000" // ctime i64 max
            + "0000000000000080" + "03000000" // btime i64 min
            + "02000000"                  // data length 2
            + "6162",                     // "ab"
            Convert.ToHexString(v));
    }

    [Theory]
    [InlineData(PosixMode.S_IFREG | 0xDED, 0)]
    [InlineData(PosixMode.S_IFREG | 0x1A4, 3072)]
    [InlineData(PosixMode.S_IFLNK | 0x1FF, 4095)]
    [InlineData(PosixMode.S_IFDIR | 0x5ED, 0)]
    [InlineData(PosixMode.S_IFCHR | 0x1B6, 0)]
    public void Inode_RoundTrips(uint mode, int dataLength)
    {
        InodeRecord record = SampleInode(mode, Enumerable.Range(0, dataLength).Select(i => (byte)i).ToArray());
        byte[] value = InodeRecordCodec.EncodeValue(record);
        Assert.Equal(InodeRecordCodec.ValueLength(dataLength), value.Length);
        Assert.True(InodeRecordCodec.TryDecodeValue(record.Attributes.Ino, value, out InodeRecord back, out RecordDecodeError e), e.ToString());
        Assert.Equal(record.Attributes, back.Attributes);
        Assert.Equal(record.Parent, back.Parent);
        Assert.Equal(record.NextCookie, back.NextCookie);
        Assert.Equal(record.Data.ToArray(), back.Data.ToArray());
        Assert.True(InodeRecordCodec.TryDecodeKey(InodeRecordCodec.EncodeKey(new InodeId(99)), out InodeId k) && k.Value == 99);
    }

    [Fact]
    public void Inode_Malformed_Rejected()
    {
        byte[] good = InodeRecordCodec.EncodeValue(SampleInode(PosixMode.S_IFREG | 0x1A4, [9, 9]));
        var ino = new InodeId(5);
        for (int cut = 0; cut < good.Length; cut++)
        {
            Assert.False(InodeRecordCodec.TryDecodeValue(ino, good.AsSpan(0, cut), out _, out RecordDecodeError e));
            Assert.Equal(RecordDecodeError.Truncated, e);
        }
        Assert.False(InodeRecordCodec.TryDecodeValue(ino, [.. good, 0], out _, out RecordDecodeError trailing));
        Assert.Equal(RecordDecodeError.TrailingBytes, trailing);

        byte[] version = (byte[])good.Clone();
        version[0] = 2;
        Assert.False(InodeRecordCodec.TryDecodeValue(ino, version, out _, out RecordDecodeError ev));
        Assert.Equal(RecordDecodeError.UnsupportedVersion, ev);

        byte[] badType = (byte[])good.Clone();
        badType[InodeRecordCodec.ModeOffset + 1] = 0xF0; // S_IFMT 0xF000: no such type
        Assert.False(InodeRecordCodec.TryDecodeValue(ino, badType, out _, out RecordDecodeError et));
        Assert.Equal(RecordDecodeError.InvalidField, et);

        byte[] badNsec = (byte[])good.Clone();
        badNsec[InodeRecordCodec.MtimeOffset + 11] = 0xFF;
        Assert.False(InodeRecordCodec.TryDecodeValue(ino, badNsec, out _, out RecordDecodeError en));
        Assert.Equal(RecordDecodeError.InvalidField, en);

        byte[] hugeData = (byte[])good.Clone();
        hugeData[InodeRecordCodec.DataLengthOffset + 3] = 0x7F; // claims ~2 GiB of inline data
        Assert.False(InodeRecordCodec.TryDecodeValue(ino, hugeData, out _, out _));

        Assert.False(InodeRecordCodec.TryDecodeKey(new byte[8], out _)); // inode 0
        Assert.False(InodeRecordCodec.TryDecodeKey(new byte[7], out _));
    }

    [Fact]
    public void Dirent_AnnotatedBytes_RoundTripAndRejects()
    {
        byte[] key = DirentCodec.EncodeKey(new InodeId(1), "etc"u8);
        Assert.Equal("0100000000000000" + "657463", Convert.ToHexString(key));
        byte[] value = DirentCodec.EncodeValue(new InodeId(0x20), 4, 3);
        Assert.Equal(DirentCodec.ValueLength, value.Length);
        Assert.Equal("01" + "04" + "0000" + "2000000000000000" + "0300000000000000", Convert.ToHexString(value));
        Assert.True(DirentCodec.TryDecodeKey(key, out InodeId parent, out ReadOnlySpan<byte> name));
        Assert.Equal(1UL, parent.Value);
        Assert.True(name.SequenceEqual("etc"u8));
        Assert.True(DirentCodec.TryDecodeValue(value, out InodeId child, out byte type, out ulong cookie, out _));
        Assert.Equal((0x20UL, (byte)4, 3UL), (child.Value, type, cookie));

        Assert.False(DirentCodec.TryDecodeValue(value.AsSpan(0, 19), out _, out _, out _, out RecordDecodeError e1));
        Assert.Equal(RecordDecodeError.Truncated, e1);
        Assert.False(DirentCodec.TryDecodeValue(DirentCodec.EncodeValue(new InodeId(2), 3, 5), out _, out _, out _, out RecordDecodeError e2));
        Assert.Equal(RecordDecodeError.InvalidField, e2); // d_type 3 does not exist
        Assert.False(DirentCodec.TryDecodeValue(DirentCodec.EncodeValue(new InodeId(2), 8, 2), out _, out _, out _, out _)); // cookie 2 is '..'
        Assert.False(DirentCodec.TryDecodeKey(DirentCodec.EncodeKey(new InodeId(1), "a/b"u8), out _, out _));
        Assert.False(DirentCodec.TryDecodeKey(DirentCodec.EncodeKey(new InodeId(1), ".."u8), out _, out _));
        Assert.False(DirentCodec.TryDecodeKey(DirentCodec.EncodeKey(new InodeId(1), new byte[256]), out _, out _));
        Assert.True(DirentCodec.TryDecodeKey(DirentCodec.EncodeKey(new InodeId(1), Enumerable.Repeat((byte)0xFF, 255).ToArray()), out _, out _));
    }

    [Fact]
    public void Xattr_Orphan_Counter_RoundTripAndReject()
    {
        byte[] key = XattrCodec.EncodeKey(new InodeId(3), "security.capability"u8);
        Assert.True(XattrCodec.TryDecodeKey(key, out InodeId ino, out ReadOnlySpan<byte> name) && ino.Value == 3 && name.SequenceEqual("security.capability"u8));
        byte[] value = XattrCodec.EncodeValue([0xDE, 0xAD]);
        Assert.Equal("01DEAD", Convert.ToHexString(value));
        Assert.True(XattrCodec.TryDecodeValue(value, out ReadOnlySpan<byte> v, out _) && v.SequenceEqual(new byte[] { 0xDE, 0xAD }));
        Assert.True(XattrCodec.TryDecodeValue([1], out ReadOnlySpan<byte> empty, out _) && empty.IsEmpty);
        Assert.False(XattrCodec.TryDecodeValue([], out _, out _));
        Assert.False(XattrCodec.TryDecodeValue([9, 1], out _, out RecordDecodeError xe));
        Assert.Equal(RecordDecodeError.UnsupportedVersion, xe);
        Assert.False(XattrCodec.TryDecodeValue(new byte[FsNamespace.XattrValueMaxBytes + 2], out _, out _));

        Assert.True(OrphanCodec.TryDecodeValue([], out _));
        Assert.False(OrphanCodec.TryDecodeValue([0], out _));

        byte[] counter = CounterCodec.EncodeValue(12345, 2);
        Assert.Equal(CounterCodec.ValueLength, counter.Length);
        Assert.Equal("01" + "00000000000000" + "3930000000000000" + "0200000000000000", Convert.ToHexString(counter));
        Assert.True(CounterCodec.TryDecodeValue(counter, out ulong next, out ulong epoch, out _) && next == 12345 && epoch == 2);
        Assert.False(CounterCodec.TryDecodeValue(counter.AsSpan(0, 23), out _, out _, out _));
        Assert.False(CounterCodec.TryDecodeValue(CounterCodec.EncodeValue(1, 1), out _, out _, out _)); // next inode must be ≥ 2
    }

    [Fact]
    public void Snapshot_RoundTripsAndRejects()
    {
        var s = new SnapshotRecord(9, new Timespec(1_700_000_000, 5), 77, 3, 1000, 1 << 30, 0);
        byte[] value = SnapshotCodec.EncodeValue(s);
        Assert.Equal(SnapshotCodec.ValueLength, value.Length);
        Assert.True(SnapshotCodec.TryDecodeValue(value, out SnapshotRecord back, out _));
        Assert.Equal(s, back);
        for (int cut = 0; cut < value.Length; cut++)
        {
            Assert.False(SnapshotCodec.TryDecodeValue(value.AsSpan(0, cut), out _, out _));
        }
        Assert.False(SnapshotCodec.TryDecodeValue(SnapshotCodec.EncodeValue(s with { Id = 0 }), out _, out _));
    }

    internal static StripeRecord SampleStripe(int k = 2, int m = 1, StripeKind kind = StripeKind.ErasureCoded)
    {
        int count = kind == StripeKind.Replicated ? m + 1 : k + m;
        return new StripeRecord
        {
            Kind = kind,
            K = (byte)k,
            M = (byte)m,
            Codec = StripeCodec.Zstd,
            Encrypted = true,
            ChunkBytes = 256 * 1024,
            RawLength = 512 * 1024,
            StoredLength = 300_000,
            BirthTxId = new TxId(55),
            PlaintextChecksum = 0xCAFEBABE,
            Nonce = StripeNonce.From(Enumerable.Range(1, 24).Select(i => (byte)i).ToArray()),
            Shards = Enumerable.Range(0, count).Select(i => new ShardLocation((ushort)i, (ulong)(i * 4096), 150_000, (uint)(0x1000 + i))).ToArray(),
        };
    }

    [Fact]
    public void Stripe_SizeAndRoundTrip()
    {
        StripeRecord s = SampleStripe();
        byte[] value = StripeRecordCodec.EncodeValue(s);
        Assert.Equal(68 + (3 * 18), value.Length);
        Assert.Equal(StripeRecordCodec.ValueLength(3), value.Length);
        Assert.Equal(StripeNonce.Length, value.AsSpan(StripeRecordCodec.NonceOffset, 24).ToArray().Length);
        Assert.Equal(1, value[StripeRecordCodec.NonceOffset]);
        Assert.True(StripeRecordCodec.TryDecodeValue(value, out StripeRecord back, out RecordDecodeError e), e.ToString());
        Assert.Equal(s, back);
        StripeRecord replicated = SampleStripe(1, 2, StripeKind.Replicated);
        Assert.True(StripeRecordCodec.TryDecodeValue(StripeRecordCodec.EncodeValue(replicated), out StripeRecord r2, out _));
        Assert.Equal(replicated, r2);
        byte[] key = StripeRecordCodec.EncodeKey(new InodeId(7), new StripeIndex(3));
        Assert.Equal("0700000000000000" + "0300000000000000", Convert.ToHexString(key));
    }

    [Fact]
    public void Stripe_Malformed_Rejected()
    {
        byte[] good = StripeRecordCodec.EncodeValue(SampleStripe());
        for (int cut = 0; cut < good.Length; cut++)
        {
            Assert.False(StripeRecordCodec.TryDecodeValue(good.AsSpan(0, cut), out _, out _));
        }
        Assert.False(StripeRecordCodec.TryDecodeValue([.. good, 1], out _, out RecordDecodeError t));
        Assert.Equal(RecordDecodeError.TrailingBytes, t);
        byte[] badKind = (byte[])good.Clone();
        badKind[1] = 9;
        Assert.False(StripeRecordCodec.TryDecodeValue(badKind, out _, out RecordDecodeError k));
        Assert.Equal(RecordDecodeError.InvalidField, k);
        byte[] badCount = (byte[])good.Clone();
        badCount[6] = 2; // 2 shards for a 2+1 stripe, and a trailing shard
        Assert.False(StripeRecordCodec.TryDecodeValue(badCount, out _, out _));
        byte[] bigCount = (byte[])good.Clone();
        bigCount[6] = 0xFF;
        bigCount[7] = 0xFF; // 65535 shards claimed
        Assert.False(StripeRecordCodec.TryDecodeValue(bigCount, out _, out RecordDecodeError big));
        Assert.Equal(RecordDecodeError.Truncated, big);
        Assert.Throws<ArgumentException>(() => StripeRecordCodec.EncodeValue(SampleStripe() with { Shards = new ShardLocation[2] }));
    }

    /// <summary>A raw 2+1 stripe of real bytes with the block checksums of its two data shards (16 KiB blocks).</summary>
    internal static StripeRecord SampleBlockStripe(int chunk = 256 * 1024)
    {
        var random = new Random(chunk);
        var shards = new ShardLocation[3];
        var blocks = new List<uint>();
        for (int i = 0; i < 3; i++)
        {
            var bytes = new byte[chunk];
            random.NextBytes(bytes);
            var crcs = new uint[Crc32C.BlockCount(chunk, 16 * 1024)];
            uint whole = Crc32C.ComputeBlocks(bytes, 16 * 1024, crcs);
            if (i < 2) blocks.AddRange(crcs);
            shards[i] = new ShardLocation((ushort)i, (ulong)(i * 1 << 20), (uint)chunk, whole);
        }
        return new StripeRecord
        {
            Kind = StripeKind.ErasureCoded,
            K = 2,
            M = 1,
            Codec = StripeCodec.None,
            ChunkBytes = (uint)chunk,
            RawLength = (ulong)(2 * chunk),
            StoredLength = (ulong)(2 * chunk),
            BirthTxId = new TxId(9),
            PlaintextChecksum = 0x12345678,
            Shards = shards,
            BlockShift = 14,
            BlockCrcs = blocks.ToArray(),
        };
    }

    [Theory]
    [InlineData(256 * 1024)] // 16 blocks per data shard
    [InlineData(100 * 1024)] // 7 blocks, the last one 4 KiB
    public void Stripe_WithBlockChecksums_RoundTrips_WithFlagBit1_AndTheCrcsAfterTheShards(int chunk)
    {
        StripeRecord s = SampleBlockStripe(chunk);
        int perShard = Crc32C.BlockCount(chunk, 16 * 1024);
        byte[] value = StripeRecordCodec.EncodeValue(s);
        Assert.Equal(68 + (3 * 18) + 1 + (4 * 2 * perShard), value.Length);
        Assert.Equal(StripeRecordCodec.ValueLength(s), value.Length);
        Assert.Equal(2, value[5]); // flags: block checksums, not encrypted
        Assert.Equal(14, value[68 + (3 * 18)]);
        Assert.Equal(s.BlockCrcs.Span[perShard], BinaryPrimitives.ReadUInt32LittleEndian(value.AsSpan(68 + (3 * 18) + 1 + (4 * perShard))));
        Assert.True(StripeRecordCodec.TryDecodeValue(value, out StripeRecord back, out RecordDecodeError e), e.ToString());
        Assert.Equal(s, back);
        Assert.Equal(perShard, back.BlocksPerShard);
        Assert.False(back.Equals(s with { BlockCrcs = s.BlockCrcs.ToArray().Reverse().ToArray() }));
    }

    [Fact]
    public void Stripe_WithBlockChecksums_ThatDisagreeWithTheShards_OrMalformed_IsRejected()
    {
        StripeRecord s = SampleBlockStripe();
        byte[] good = StripeRecordCodec.EncodeValue(s);
        for (int cut = 0; cut < good.Length; cut++)
        {
            Assert.False(StripeRecordCodec.TryDecodeValue(good.AsSpan(0, cut), out _, out _));
        }
        int blocksAt = 68 + (3 * 18) + 1;
        // one block CRC of data shard 1 changed: it no longer combines to the shard's CRC
        byte[] flipped = (byte[])good.Clone();
        flipped[blocksAt + (4 * 20)] ^= 0x01;
        Assert.False(StripeRecordCodec.TryDecodeValue(flipped, out _, out RecordDecodeError f));
        Assert.Equal(RecordDecodeError.InvalidField, f);
        foreach (byte shift in new byte[] { 11, 25, 0 })
        {
            byte[] badShift = (byte[])good.Clone();
            badShift[blocksAt - 1] = shift;
            Assert.False(StripeRecordCodec.TryDecodeValue(badShift, out _, out RecordDecodeError bs));
            Assert.Equal(RecordDecodeError.InvalidField, bs);
        }
        byte[] unknownFlag = (byte[])good.Clone();
        unknownFlag[5] |= 4;
        Assert.False(StripeRecordCodec.TryDecodeValue(unknownFlag, out _, out _));
        byte[] noFlag = (byte[])good.Clone();
        noFlag[5] = 0; // the checksums are then trailing bytes
        Assert.False(StripeRecordCodec.TryDecodeValue(noFlag, out _, out RecordDecodeError nf));
        Assert.Equal(RecordDecodeError.TrailingBytes, nf);
        Assert.Throws<ArgumentException>(() => StripeRecordCodec.EncodeValue(s with { BlockCrcs = new uint[32] }));
        Assert.Throws<ArgumentException>(() => StripeRecordCodec.EncodeValue(s with { BlockCrcs = s.BlockCrcs[..31] }));
        Assert.Throws<ArgumentException>(() => StripeRecordCodec.EncodeValue(s with { BlockShift = 13 }));
        Assert.False(StripeRecordCodec.IsValid(SampleStripe(1, 2, StripeKind.Replicated) with { BlockShift = 14, BlockCrcs = new uint[16] }));
    }
}
