using System.Buffers.Binary;
using Argos.Format;
using Argos.Format.Pool;

namespace Argos.Storage.Tests;

public class FormatTests
{
    private static Superblock SampleSuperblock() => new()
    {
        PoolUuid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"),
        MemberUuid = Guid.Parse("ffeeddcc-bbaa-9988-7766-554433221100"),
        MemberIndex = new MemberIndex(2),
        MemberCount = 3,
        K = 2,
        M = 1,
        ChunkSize = 256 * 1024,
        Clean = true,
        Generation = new Generation(7),
        Layout = MemberLayout.ForCapacity(256 * TempDir.MiB, "test"),
        CreatedNs = 1_700_000_000_000_000_000,
        LastOpenNs = 5,
        LastCleanCloseNs = 6,
        PoolName = "rootpool",
    };

    [Fact]
    public void Offsets_AreChainedAndInsideTheBlock()
    {
        Assert.Equal(240, Superblock.EndOfFields);
        Assert.Equal(176, Superblock.PoolNameOffset);
        Assert.Equal(386, MemberLabel.EndOfFields);
        Assert.Equal(3320, RootSlot.EndOfFields);
        Assert.Equal(92, JournalRecordHeader.ChecksumOffset);
        Assert.Equal(80, JournalRecordHeader.Reserved2Offset);
        Assert.Equal(96, MemberHeader.TextOffset + MemberHeader.TextLength);
        Assert.True(RootSlot.EndOfFields <= RootSlot.ChecksumOffset);
        Assert.Equal(4096, Superblock.Size);
    }

    [Fact]
    public void Superblock_AnnotatedBytes_MatchTheDocumentedLayout()
    {
        var b = new byte[Superblock.Size];
        SampleSuperblock().Encode(b);
        Assert.Equal("ARGOSFS1"u8.ToArray(), b[0..8]);                                  // magic
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8)));          // version
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(12)));         // min version
        Assert.Equal("00112233445566778899AABBCCDDEEFF", Convert.ToHexString(b, 40, 16)); // pool UUID, RFC byte order
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(72)));         // member index
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(76)));         // member count
        Assert.Equal("02000100", Convert.ToHexString(b, 80, 4));                         // k=2, m=1 (u16 each)
        Assert.Equal(4096u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(84)));      // block size
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(92)));         // flags: clean
        Assert.Equal(7ul, BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(96)));        // generation
        Assert.Equal(256 * TempDir.MiB, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(104))); // capacity
        Assert.Equal(TempDir.MiB, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(112)));        // journal offset
        Assert.Equal(8 * TempDir.MiB, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(120)));    // journal length = 256/32
        Assert.Equal(255 * TempDir.MiB, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(144)));  // backup offset = 256 MiB − 1 MiB
        Assert.Equal(8, b[176]);                                                         // pool name length
        Assert.Equal("rootpool"u8.ToArray(), b[177..185]);
        Assert.Equal(BlockChecksum.Compute(b), BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(4092)));
    }

    [Fact]
    public void Superblock_RoundTrips()
    {
        Superblock sb = SampleSuperblock();
        var b = new byte[Superblock.Size];
        sb.Encode(b);
        Assert.True(Superblock.TryDecode(b, out Superblock? back, out string error), error);
        Assert.Equal(sb, back);
    }

    [Fact]
    public void Invariant_I5_SuperblockBitFlip_IsAChecksumError()
    {
        var b = new byte[Superblock.Size];
        SampleSuperblock().Encode(b);
        b[100] ^= 1;
        Assert.False(Superblock.TryDecode(b, out _, out string error));
        Assert.Contains("checksum", error);
    }

    [Fact]
    public void Invariant_I3_UnknownIncompatFeature_IsRefused()
    {
        var b = new byte[Superblock.Size];
        (SampleSuperblock() with { IncompatFeatures = 4 }).Encode(b);
        Assert.False(Superblock.TryDecode(b, out _, out string error));
        Assert.Contains("unknown incompatible features", error);
        (SampleSuperblock() with { RoCompatFeatures = 4 }).Encode(b);
        Assert.True(Superblock.TryDecode(b, out Superblock? ro, out _));
        Assert.True(ro!.RequiresReadOnly);
    }

    [Fact]
    public void Label_And_Header_RoundTrip()
    {
        var label = new MemberLabel
        {
            PoolUuid = Guid.NewGuid(), MemberUuid = Guid.NewGuid(), MemberIndex = new MemberIndex(4),
            Generation = new Generation(9), UpdatedNs = 42, PoolName = "p", PathHint = "/dev/vda",
        };
        var b = new byte[MemberLabel.Size];
        label.Encode(b);
        Assert.True(MemberLabel.TryDecode(b, out MemberLabel? back, out string error), error);
        Assert.Equal(label, back);

        var h = new byte[MemberHeader.Size];
        new MemberHeader(123 * TempDir.MiB).Encode(h);
        Assert.Equal("ARGOSFS-MEMBER\0\0"u8.ToArray(), h[0..16]);
        Assert.Equal(0, h[510]);   // I-1: never looks like an MBR boot sector
        Assert.Equal(0, h[511]);
        Assert.True(MemberHeader.TryDecode(h, out MemberHeader? hb, out _));
        Assert.Equal(123 * TempDir.MiB, hb!.BackupOffset);
    }

    [Fact]
    public void RootSlot_RoundTrips_AndRejectsTornWrites()
    {
        var slot = new RootSlot
        {
            Sequence = 12, PoolUuid = Guid.NewGuid(), CheckpointTxId = new TxId(99), PayloadLength = 5000,
            PayloadHash = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray(), JournalEpoch = 4,
            ChainSeed = Enumerable.Range(20, 16).Select(i => (byte)i).ToArray(), Generation = new Generation(3),
            WrittenNs = 77, MemberIndex = new MemberIndex(1),
            Extents = [new Extent(new MemberIndex(1), 9 * TempDir.MiB, 4096), new Extent(new MemberIndex(1), 10 * TempDir.MiB, 8192)],
        };
        var b = new byte[RootSlot.Size];
        slot.Encode(b);
        Assert.Equal(12ul, BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(16)));        // sequence
        Assert.Equal(9 * TempDir.MiB, BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(120))); // extent 0 offset
        Assert.True(RootSlot.TryDecode(b, out RootSlot? back, out string error), error);
        Assert.Equal(slot.Extents, back!.Extents);
        Assert.Equal(slot.PayloadHash, back.PayloadHash);
        Assert.Equal(slot.ChainSeed, back.ChainSeed);
        Assert.Equal(slot.CheckpointTxId, back.CheckpointTxId);
        // A torn write: the second half of the block still holds older bytes.
        b.AsSpan(2048).Fill(0xEE);
        Assert.False(RootSlot.TryDecode(b, out _, out error));
        Assert.Contains("checksum", error);
    }

    [Fact]
    public void JournalRecord_RoundTrips_WithHash()
    {
        var payload = new byte[100];
        int n = OpCodec.Write(payload, 3, false, "key"u8, "value"u8);
        var header = new JournalRecordHeader
        {
            PayloadLength = n, OpCount = 1, Epoch = 2, TxId = new TxId(10), TxCount = 2, WrittenNs = 1,
            PrevHash = new byte[16],
        };
        var record = new byte[JournalRecordHeader.PaddedLength(n)];
        Assert.Equal(512, record.Length);
        payload.AsSpan(0, n).CopyTo(record.AsSpan(JournalRecordHeader.Size));
        header.Seal(record);
        Assert.Equal(0x31524A41u, BinaryPrimitives.ReadUInt32LittleEndian(record)); // "AJR1"
        Assert.True(JournalRecordHeader.TryDecode(record, out JournalRecordHeader? back, out string error), error);
        Assert.Equal(new TxId(9), back!.FirstTxId);
        Span<byte> hash = stackalloc byte[16];
        JournalRecordHeader.ComputeHash(record.AsSpan(0, JournalRecordHeader.Size + n), hash);
        Assert.True(hash.SequenceEqual(back.RecordHash));
        var cursor = new SpanCursor(record.AsSpan(JournalRecordHeader.Size, n));
        Assert.True(OpCodec.TryRead(ref cursor, out byte kind, out bool del, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value, out _));
        Assert.Equal(3, kind);
        Assert.False(del);
        Assert.True(key.SequenceEqual("key"u8));
        Assert.True(value.SequenceEqual("value"u8));
    }

    [Theory]
    [InlineData("", "CAE66941D9EFBD404E4D88758EA67670")]
    [InlineData("abc", "CF4AB791C62B8D2B2109C90275287816")]
    public void Blake2b128_MatchesReferenceVectors(string input, string expected)
    {
        var digest = new byte[16];
        Blake2b.Hash(System.Text.Encoding.ASCII.GetBytes(input), digest);
        Assert.Equal(expected, Convert.ToHexString(digest));
    }

    [Fact]
    public void Blake2b_Rfc7693_AbcVector_AndIncrementalEqualsOneShot()
    {
        var digest = new byte[64];
        Blake2b.Hash("abc"u8, digest);
        Assert.Equal("BA80A53F981C4D0D6A2797B69F12F6E94C212F14685AC4B74B12BB6FDBFFA2D17D87C5392AAB792DC252D5DE4533CC9518D38AA8DBF1925AB92386EDD4009923",
            Convert.ToHexString(digest));
        byte[] data = Enumerable.Range(0, 200).Select(i => (byte)i).ToArray();
        var one = new byte[16];
        Blake2b.Hash(data, one);
        Assert.Equal("61479EFA6267FEA757B3F881E2979BBC", Convert.ToHexString(one));
        var inc = Blake2b.Create(16);
        inc.Update(data.AsSpan(0, 128));
        inc.Update(data.AsSpan(128, 1));
        inc.Update(data.AsSpan(129));
        var two = new byte[16];
        inc.Finish(two);
        Assert.Equal(one, two);
    }

    [Fact]
    public void Invariant_I7_RandomBytes_NeverThrowFromDecoders()
    {
        var rng = new Random(1234);
        var b = new byte[4096];
        for (int i = 0; i < 300; i++)
        {
            rng.NextBytes(b);
            if (i % 3 == 0) "ARGOSFS1"u8.CopyTo(b);
            if (i % 3 == 1) "ARGOSRT1"u8.CopyTo(b);
            BlockChecksum.Seal(b); // get past the checksum to exercise field validation
            Superblock.TryDecode(b, out _, out _);
            RootSlot.TryDecode(b, out _, out _);
            MemberLabel.TryDecode(b, out _, out _);
            MemberHeader.TryDecode(b, out _, out _);
            JournalRecordHeader.TryDecode(b, out _, out _);
            var c = new SpanCursor(b.AsSpan(0, rng.Next(0, 64)));
            OpCodec.TryRead(ref c, out _, out _, out _, out _, out _);
            Superblock.TryDecode(b.AsSpan(0, rng.Next(0, 4096)), out _, out _);
        }
    }

    [Fact]
    public void Layout_JournalIsClampedAndRegionsAreOrdered()
    {
        MemberLayout small = MemberLayout.ForCapacity(64 * TempDir.MiB, "x");
        Assert.Equal(4 * TempDir.MiB, small.JournalLength);
        Assert.Equal(63 * TempDir.MiB, small.BackupOffset);
        Assert.Null(small.Validate());
        MemberLayout big = MemberLayout.ForCapacity(1L << 40, "x");
        Assert.Equal(256 * TempDir.MiB, big.JournalLength);
        Assert.Null(big.Validate());
        var e = Assert.Throws<ArgumentException>(() => MemberLayout.ForCapacity(10 * TempDir.MiB, "tiny.img"));
        Assert.Contains("at least 64 MiB", e.Message);
    }
}
