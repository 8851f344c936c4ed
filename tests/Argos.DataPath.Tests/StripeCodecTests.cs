using Argos.DataPath.Codecs;
using Argos.DataPath.Stripes;
using Argos.Erasure;
using Argos.Format;
using Xunit;

namespace Argos.DataPath.Tests;

public sealed class StripeCodecTests
{
    private static readonly Guid s_pool = Guid.Parse("6c1f7b9e-2f0a-4d0e-9c55-0d5b7c3b8a11");

    private static byte[] Data(int length, bool compressible, int seed = 1)
    {
        var bytes = new byte[length];
        if (compressible)
        {
            for (var i = 0; i < length; i++) bytes[i] = (byte)("argos erasure coded root "[i % 25]);
        }
        else
        {
            new Random(seed).NextBytes(bytes);
        }
        return bytes;
    }

    private static (EncodedStripe Stripe, byte[] Shards, uint[] Crcs) Encode(StripeLayoutKind kind, int k, int m, byte[] raw, StripeContext ctx)
    {
        var shards = new byte[StripeCodec.ShardBufferLength(kind, k, m, raw.Length)];
        var scratch = new byte[StripeCodec.PayloadCapacity(raw.Length)];
        var crcs = new uint[k + m + 1];
        var stripe = StripeCodec.Encode(kind, k, m, raw, ctx, scratch, shards, crcs);
        return (stripe, shards, crcs);
    }

    private static byte[] Decode(EncodedStripe stripe, byte[] shards, bool[] present, StripeContext ctx)
    {
        // What the reader does: zero the shards it could not read, rebuild data shards, decode.
        for (var i = 0; i < stripe.ShardCount; i++)
        {
            if (!present[i]) shards.AsSpan(i * stripe.ShardLength, stripe.ShardLength).Fill(0xEE);
        }
        StripeCodec.Reconstruct(stripe, shards, present);
        var raw = new byte[stripe.RawLength];
        StripeCodec.Decode(stripe, shards, ctx, new byte[StripeCodec.PayloadCapacity(stripe.RawLength)], raw);
        return raw;
    }

    public static TheoryData<int, int, int, bool, bool> Cases() => new()
    {
        { 2, 1, 512 * 1024, true, false },
        { 2, 1, 512 * 1024, false, false },
        { 4, 2, 1 << 20, true, true },
        { 4, 2, 100_001, false, true },
        { 3, 0, 12345, true, false },
        { 1, 1, 1, false, false },
        { 8, 3, 777_777, false, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_Decode_EveryLossPatternUpToM_RoundTrips(int k, int m, int length, bool compressible, bool encrypted)
    {
        using var cipher = encrypted ? StripeCipher.FromKey(new byte[32]) : null;
        var ctx = new StripeContext(s_pool, new InodeId(42), new StripeIndex(3), CompressionSettings.Default, cipher);
        var raw = Data(length, compressible);
        var (stripe, shards, crcs) = Encode(StripeLayoutKind.ErasureCoded, k, m, raw, ctx);
        Assert.Equal(encrypted, stripe.Encrypted);
        Assert.Equal(0, stripe.ShardLength % StripeCodec.ShardAlignment);
        for (var i = 0; i < stripe.ShardCount; i++)
        {
            Assert.Equal(crcs[i], Crc32C.Compute(shards.AsSpan(i * stripe.ShardLength, stripe.ShardLength)));
        }
        var n = stripe.ShardCount;
        for (var mask = 0; mask < 1 << n; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) > m) continue;
            var present = Enumerable.Range(0, n).Select(i => (mask & (1 << i)) == 0).ToArray();
            Assert.Equal(raw, Decode(stripe, (byte[])shards.Clone(), present, ctx));
        }
    }

    [Fact]
    public void Encode_CompressibleData_IsStoredSmaller_AndRandomDataRaw()
    {
        var ctx = new StripeContext(s_pool, new InodeId(2), new StripeIndex(0), CompressionSettings.Default, null);
        var (packed, _, _) = Encode(StripeLayoutKind.ErasureCoded, 2, 1, Data(512 * 1024, true), ctx);
        Assert.Equal(CompressionCodec.Zstd, packed.Codec);
        Assert.True(packed.PayloadLength < 64 * 1024, $"payload {packed.PayloadLength}");
        var (rawStripe, _, _) = Encode(StripeLayoutKind.ErasureCoded, 2, 1, Data(512 * 1024, false), ctx);
        Assert.Equal(CompressionCodec.None, rawStripe.Codec);
        Assert.Equal(512 * 1024, rawStripe.PayloadLength);
    }

    [Fact]
    public void CheckPlain_FromCheckedShardCrcs_AcceptsTheStripe_AndStillCatchesABadPlaintextChecksum()
    {
        var ctx = new StripeContext(s_pool, new InodeId(7), new StripeIndex(0), CompressionSettings.Default, null);
        var (stripe, shards, crcs) = Encode(StripeLayoutKind.ErasureCoded, 2, 1, Data(512 * 1024, false), ctx);
        Assert.Equal(CompressionCodec.None, stripe.Codec); // random data is stored raw
        var dataShards = shards.AsSpan(0, 2 * stripe.ShardLength).ToArray();
        StripeCodec.CheckPlain(stripe, dataShards, ctx, crcs.AsSpan(0, 2), stripe.ShardLength);

        // A record whose plaintext checksum disagrees: combined or computed, the check fails.
        var wrong = stripe with { PlaintextCrc = stripe.PlaintextCrc ^ 1 };
        Assert.Throws<StripeCorruptException>(() => StripeCodec.CheckPlain(wrong, dataShards, ctx, crcs.AsSpan(0, 2), stripe.ShardLength));
        // Shard CRCs that do not combine (not what was read): the bytes themselves decide, and they are right.
        StripeCodec.CheckPlain(stripe, dataShards, ctx, [crcs[1], crcs[0]], stripe.ShardLength);
        // A stripe with padding (not exactly k shards long) is always computed from its bytes.
        var (small, smallShards, smallCrcs) = Encode(StripeLayoutKind.ErasureCoded, 2, 1, Data(300 * 1024, false), ctx);
        var bad = small with { PlaintextCrc = small.PlaintextCrc ^ 1 };
        Assert.Throws<StripeCorruptException>(() => StripeCodec.CheckPlain(bad, smallShards.AsSpan(0, 2 * small.ShardLength).ToArray(), ctx, smallCrcs.AsSpan(0, 2), small.ShardLength));
    }

    [Fact]
    public void Replicated_AnyOneCopy_Decodes()
    {
        var ctx = new StripeContext(s_pool, new InodeId(5), new StripeIndex(0), CompressionSettings.Default, null);
        var raw = Data(3000, false);
        var (stripe, shards, _) = Encode(StripeLayoutKind.Replicated, 2, 2, raw, ctx);
        Assert.Equal(3, stripe.ShardCount);
        for (var keep = 0; keep < 3; keep++)
        {
            var present = Enumerable.Range(0, 3).Select(i => i == keep).ToArray();
            Assert.Equal(raw, Decode(stripe, (byte[])shards.Clone(), present, ctx));
        }
        Assert.Throws<TooManyErasuresException>(() => Decode(stripe, (byte[])shards.Clone(), [false, false, false], ctx));
    }

    [Fact]
    public void Decode_MoreThanMLost_ThrowsTooManyErasures()
    {
        var ctx = new StripeContext(s_pool, new InodeId(5), new StripeIndex(0), CompressionSettings.None, null);
        var (stripe, shards, _) = Encode(StripeLayoutKind.ErasureCoded, 2, 1, Data(9000, false), ctx);
        Assert.Throws<TooManyErasuresException>(() => Decode(stripe, shards, [false, false, true], ctx));
    }

    [Fact]
    public void Decode_WrongStripePosition_FailsAuthentication()
    {
        using var cipher = StripeCipher.FromKey(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var ctx = new StripeContext(s_pool, new InodeId(9), new StripeIndex(1), CompressionSettings.Default, cipher);
        var (stripe, shards, _) = Encode(StripeLayoutKind.ErasureCoded, 2, 1, Data(5000, true), ctx);
        var moved = ctx with { Index = new StripeIndex(2) };
        Assert.ThrowsAny<Exception>(() => Decode(stripe, shards, [true, true, true], moved));
    }

    [Fact]
    public void Decode_EncryptedWithoutKey_ThrowsEncryptionKeyException()
    {
        using var cipher = StripeCipher.FromKey(new byte[32]);
        var ctx = new StripeContext(s_pool, new InodeId(9), new StripeIndex(1), CompressionSettings.Default, cipher);
        var (stripe, shards, _) = Encode(StripeLayoutKind.ErasureCoded, 2, 1, Data(5000, true), ctx);
        var e = Assert.Throws<EncryptionKeyException>(() => Decode(stripe, shards, [true, true, true], ctx with { Cipher = null }));
        Assert.Contains("ARGOSFS_KEY_FILE", e.Message);
    }

    [Fact]
    public void Decode_PayloadCorruptedBehindValidShardCrc_IsCaughtByPlaintextCrc()
    {
        var ctx = new StripeContext(s_pool, new InodeId(9), new StripeIndex(1), CompressionSettings.None, null);
        var (stripe, shards, _) = Encode(StripeLayoutKind.ErasureCoded, 2, 1, Data(5000, false), ctx);
        shards[100] ^= 0x40;
        Assert.Throws<StripeCorruptException>(() => Decode(stripe, shards, [true, true, true], ctx));
    }
}
