using System.Text;
using Argos.Format;

namespace Argos.Native.Tests;

public class Crc32CTests
{
    [Fact]
    public void Compute_CheckString_MatchesCatalogue()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0xE3069283u, Crc32C.AppendSoftware(0, "123456789"u8));
    }

    [Fact]
    public void Compute_ThirtyTwoZeroBytes_MatchesRfc3720()
    {
        // RFC 3720 B.4: 32 bytes of zeros → aa 36 91 8a (little-endian on the wire).
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x8A9136AAu, Crc32C.AppendSoftware(0, new byte[32]));
    }

    [Fact]
    public void Compute_Rfc3720Vectors_Match()
    {
        byte[] ones = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        byte[] ascending = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        byte[] descending = Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray();
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(ones));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(ascending));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(descending));
    }

    [Fact]
    public void Compute_Empty_IsZero() => Assert.Equal(0u, Crc32C.Compute([]));

    [Fact]
    public void Combine_OfTwoParts_EqualsTheCrcOfTheWhole()
    {
        var random = new Random(3);
        var data = new byte[600_000];
        random.NextBytes(data);
        foreach (var (a, b) in new[] { (0, 1), (1, 0), (1, 1), (9, 262144), (262144, 262144), (4096, 7), (100_000, 333_333), (0, 0), (3, 2), (5, 3), (17, 65537), (1, 599_999) })
        {
            var left = data.AsSpan(0, a);
            var right = data.AsSpan(a, b);
            Assert.Equal(Crc32C.Compute(data.AsSpan(0, a + b)), Crc32C.Combine(Crc32C.Compute(left), Crc32C.Compute(right), b));
        }
        // Four 256 KiB shards combined in order: a stripe's plaintext CRC from its data shards.
        var shards = Enumerable.Range(0, 4).Select(i => Crc32C.Compute(data.AsSpan(i * 131072, 131072))).ToArray();
        var combined = shards.Skip(1).Aggregate(shards[0], (crc, next) => Crc32C.Combine(crc, next, 131072));
        Assert.Equal(Crc32C.Compute(data.AsSpan(0, 4 * 131072)), combined);
        Assert.NotEqual(Crc32C.Compute(data.AsSpan(0, 4 * 131072)), Crc32C.Combine(shards[1], shards[0], 131072)); // order matters
    }

    [Fact]
    public void Combine_OfManyDistinctLengths_IsRight_PastTheCachedOnes()
    {
        // More distinct lengths than the table cache keeps (64): the later ones are built on the spot
        // (Z_n by squaring), and each must still give the CRC of the whole.
        var data = TestData.Random(300_000, seed: 5);
        for (var i = 0; i < 200; i++)
        {
            var b = 200_000 + (i * 433);
            var a = data.Length - b;
            Assert.Equal(Crc32C.Compute(data), Crc32C.Combine(Crc32C.Compute(data.AsSpan(0, a)), Crc32C.Compute(data.AsSpan(a)), b));
        }
    }

    [Fact]
    public void Hardware_EqualsSoftware_OnManyLengthsAndOffsets()
    {
        if (!Crc32C.IsHardwareAccelerated)
        {
            Assert.Throws<PlatformNotSupportedException>(() => Crc32C.AppendHardware(0, "x"u8));
            return;
        }

        byte[] data = TestData.Random(3 * 8192 * 2 + 3 * 256 * 3 + 77, seed: 7);
        int[] lengths = [0, 1, 7, 8, 9, 15, 16, 63, 255, 256, 767, 768, 769, 1000, 8191, 24575, 24576, 24577,
            3 * 8192 + 3 * 256 + 13, 2 * 3 * 8192, data.Length - 5];
        foreach (int length in lengths)
        {
            foreach (int offset in new[] { 0, 1, 3, 5 })
            {
                ReadOnlySpan<byte> slice = data.AsSpan(offset, length);
                Assert.Equal(Crc32C.AppendSoftware(0x12345678, slice), Crc32C.AppendHardware(0x12345678, slice));
                Assert.Equal(Crc32C.AppendSoftware(0, slice), Crc32C.AppendHardware(0, slice));
            }
        }

        var rng = new Random(11);
        for (int i = 0; i < 200; i++)
        {
            int length = rng.Next(0, data.Length);
            int offset = rng.Next(0, data.Length - length + 1);
            ReadOnlySpan<byte> slice = data.AsSpan(offset, length);
            Assert.Equal(Crc32C.AppendSoftware(0, slice), Crc32C.AppendHardware(0, slice));
        }
    }

    [Fact]
    public void Append_InPieces_EqualsWhole()
    {
        byte[] data = TestData.Random(100_000, seed: 3);
        uint whole = Crc32C.Compute(data);
        foreach (int split in new[] { 0, 1, 13, 4096, 50_001, 99_999, 100_000 })
        {
            uint crc = Crc32C.Compute(data.AsSpan(0, split));
            Assert.Equal(whole, Crc32C.Append(crc, data.AsSpan(split)));
            uint soft = Crc32C.AppendSoftware(Crc32C.AppendSoftware(0, data.AsSpan(0, split)), data.AsSpan(split));
            Assert.Equal(whole, soft);
        }
    }

    [Fact]
    public void ForceSoftware_RoutesComputeToSoftwarePath_SameResult()
    {
        byte[] data = Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog");
        bool previous = Crc32C.ForceSoftware;
        try
        {
            Crc32C.ForceSoftware = true;
            uint soft = Crc32C.Compute(data);
            Crc32C.ForceSoftware = false;
            Assert.Equal(soft, Crc32C.Compute(data));
            Assert.Equal(0x22620404u, soft);
        }
        finally
        {
            Crc32C.ForceSoftware = previous;
        }
    }

    [Fact]
    public void Compute_SingleBitFlip_ChangesCrc()
    {
        byte[] data = TestData.Random(4096, seed: 5);
        uint before = Crc32C.Compute(data);
        data[1234] ^= 0x10;
        Assert.NotEqual(before, Crc32C.Compute(data));
    }

    [Theory]
    [InlineData(256 * 1024, 16 * 1024)] // a full shard: 16 whole blocks
    [InlineData(12 * 1024, 16 * 1024)] // shorter than one block
    [InlineData(100_000, 16 * 1024)] // a short last block (100000 = 6 × 16384 + 1696)
    [InlineData(0, 4096)]
    public void ComputeBlocks_GivesEachBlocksCrc_AndTheWholesCrc_CombinedFromThem(int length, int blockBytes)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var count = Crc32C.BlockCount(length, blockBytes);
        var crcs = new uint[count];
        Assert.Equal(Crc32C.Compute(data), Crc32C.ComputeBlocks(data, blockBytes, crcs));
        for (var i = 0; i < count; i++)
        {
            var start = i * blockBytes;
            Assert.Equal(Crc32C.Compute(data.AsSpan(start, Math.Min(blockBytes, length - start))), crcs[i]);
        }
        Assert.Equal(Crc32C.Compute(data), Crc32C.CombineBlocks(crcs, length, blockBytes));
        if (count > 1)
        {
            crcs[count - 1] ^= 1;
            Assert.NotEqual(Crc32C.Compute(data), Crc32C.CombineBlocks(crcs, length, blockBytes));
        }
        Assert.Throws<ArgumentException>(() => Crc32C.CombineBlocks(new uint[count + 1], length, blockBytes));
        Assert.Throws<ArgumentException>(() => Crc32C.ComputeBlocks(new byte[2 * blockBytes], blockBytes, new uint[1]));
    }
}
