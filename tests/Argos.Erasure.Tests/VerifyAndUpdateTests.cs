using Xunit;

namespace Argos.Erasure.Tests;

public sealed class VerifyAndUpdateTests
{
    [Theory]
    [InlineData(4, 2, 1)]
    [InlineData(4, 2, 10_000)]   // spans several verify chunks
    [InlineData(10, 4, 4097)]
    [InlineData(20, 8, 333)]     // more parity rows than one pass holds
    public void Verify_CorrectStripe_TrueAndAnyFlippedByte_False(int k, int m, int len)
    {
        var rng = new Random(len);
        var codec = ReedSolomon.Get(k, m);
        var stripe = new byte[(k + m) * len];
        rng.NextBytes(stripe.AsSpan(0, k * len));
        codec.Encode(stripe.AsSpan(0, k * len), stripe.AsSpan(k * len));
        Assert.True(codec.Verify(stripe));
        Assert.True(codec.Verify(Reference.ReadOnly(Split(stripe, k + m, len))));

        foreach (int position in new[] { 0, len - 1, (k * len) - 1, k * len, stripe.Length - 1, rng.Next(stripe.Length) })
        {
            stripe[position] ^= 0x40;
            Assert.False(codec.Verify(stripe), $"byte {position} flipped but Verify passed");
            Assert.False(codec.Verify(Reference.ReadOnly(Split(stripe, k + m, len))), $"byte {position} flipped but Verify (shard list) passed");
            stripe[position] ^= 0x40;
        }
    }

    [Fact]
    public void UpdateParity_SingleParityShard_EqualsReencodeOfThatShard()
    {
        const int k = 8, m = 3, len = 5000;
        var rng = new Random(21);
        var codec = ReedSolomon.Get(k, m);
        byte[][] data = Reference.RandomShards(rng, k, len);
        byte[][] parity = Reference.RandomShards(rng, m, len);
        codec.Encode(Reference.ReadOnly(data), Reference.Writable(parity));

        const int d = 5, start = 123, count = 777;
        byte[] oldBytes = data[d].AsSpan(start, count).ToArray();
        rng.NextBytes(data[d].AsSpan(start, count));
        for (int r = 0; r < m; r++) codec.UpdateParity(d, oldBytes, data[d].AsSpan(start, count), r, parity[r].AsSpan(start, count));

        byte[][] expected = Reference.Parity(codec, data);
        for (int r = 0; r < m; r++) Assert.Equal(expected[r], parity[r]);
    }

    [Fact]
    public void UpdateParity_BadArguments_NameTheProblem()
    {
        var codec = ReedSolomon.Get(4, 2);
        var buf = new byte[10];
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => codec.UpdateParity(4, buf, buf, 0, new byte[10]));
        Assert.Contains("data shard index must be 0..3", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => codec.UpdateParity(0, buf, buf, 2, new byte[10]));
        Assert.Contains("parity shard index must be 0..1", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => codec.UpdateParity(0, buf, buf, 0, new byte[9]));
        Assert.Contains("must cover the same byte range", e3.Message);
    }

    private static byte[][] Split(byte[] stripe, int n, int len) =>
        Enumerable.Range(0, n).Select(i => stripe.AsSpan(i * len, len).ToArray()).ToArray();
}
