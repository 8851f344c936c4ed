using Xunit;

namespace Argos.Erasure.Tests;

public sealed class ValidationTests
{
    [Theory]
    [InlineData(0, 2, "at least 1 data shard")]
    [InlineData(4, -1, "cannot be negative")]
    [InlineData(200, 56, "layout 200+56 has 256 shards; Reed-Solomon over GF(2^8) allows at most 255")]
    public void Get_InvalidLayout_ThrowsNamingTheLimit(int k, int m, string expected)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ReedSolomon.Get(k, m));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Get_SameLayout_ReturnsSharedCodec()
    {
        Assert.Same(ReedSolomon.Get(6, 3), ReedSolomon.Get(6, 3));
        Assert.Equal(6, ReedSolomon.Get(6, 3).DataShards);
        Assert.Equal(3, ReedSolomon.Get(6, 3).ParityShards);
        Assert.Equal(9, ReedSolomon.Get(6, 3).TotalShards);
    }

    [Fact]
    public void Encode_WrongShardCountsOrLengths_ThrowsNamingTheFix()
    {
        var codec = ReedSolomon.Get(4, 2);
        var data = Reference.ReadOnly(Reference.RandomShards(new Random(1), 4, 16));
        var parity = Reference.Writable(Reference.RandomShards(new Random(1), 2, 16));

        Assert.Contains("pass exactly 4", Assert.Throws<ArgumentException>(() => codec.Encode(data[..3], parity)).Message);
        Assert.Contains("pass exactly 2", Assert.Throws<ArgumentException>(() => codec.Encode(data, parity[..1])).Message);
        parity[1] = new byte[15];
        Assert.Contains("parity[1] is 15 bytes but shard 0 is 16", Assert.Throws<ArgumentException>(() => codec.Encode(data, parity)).Message);
        Assert.Contains("not a whole number of 4 shards", Assert.Throws<ArgumentException>(() => codec.Encode(new byte[10], new byte[4])).Message);
        Assert.Contains("2 shards of 4 bytes need 8", Assert.Throws<ArgumentException>(() => codec.Encode(new byte[16], new byte[7])).Message);
        var stripe = new byte[24];
        Assert.Contains("overlaps data", Assert.Throws<ArgumentException>(() => codec.Encode(stripe.AsSpan(0, 16), stripe.AsSpan(12, 8))).Message);
    }

    [Fact]
    public void Reconstruct_WrongFlagCounts_ThrowsNamingTheFix()
    {
        var codec = ReedSolomon.Get(4, 2);
        var shards = Reference.Writable(Reference.RandomShards(new Random(1), 6, 16));
        Assert.Contains("present has 5 flags", Assert.Throws<ArgumentException>(() => codec.Reconstruct(shards, new bool[5])).Message);
        Assert.Contains("wanted has 7 flags", Assert.Throws<ArgumentException>(() => codec.Reconstruct(shards, new bool[6], new bool[7])).Message);
        Assert.Contains("pass all 6", Assert.Throws<ArgumentException>(() => codec.Reconstruct(shards[..5], new bool[6])).Message);
    }

    [Fact]
    public void EmptyShardsAndZeroParity_AreNoOps()
    {
        var codec = ReedSolomon.Get(3, 0);
        codec.Encode(new byte[30], Span<byte>.Empty);
        Assert.True(codec.Verify(new byte[30]));
        ReedSolomon.Get(3, 2).Encode(ReadOnlySpan<byte>.Empty, Span<byte>.Empty);
        Assert.True(ReedSolomon.Get(3, 2).Verify(ReadOnlySpan<byte>.Empty));
    }
}
