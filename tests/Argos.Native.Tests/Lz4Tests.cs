using Argos.Platform.Native;

namespace Argos.Native.Tests;

public class Lz4Tests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public void Compress_ThenDecompress_RoundTrips(int length)
    {
        foreach (byte[] data in new[] { TestData.Compressible(length, 1), TestData.Random(length, 2) })
        {
            byte[] compressed = new byte[Lz4.CompressBound(length)];
            int written = Lz4.Compress(data, compressed);
            Assert.True(written > 0);
            byte[] back = new byte[length];
            Lz4.Decompress(compressed.AsSpan(0, written), back);
            Assert.Equal(data, back);
        }
    }

    [Fact]
    public void Compress_Compressible_Shrinks()
    {
        byte[] data = TestData.Compressible(65536, 3);
        byte[] compressed = new byte[Lz4.CompressBound(data.Length)];
        Assert.True(Lz4.Compress(data, compressed) < data.Length / 2);
    }

    [Fact]
    public void TryCompress_DestinationTooSmall_ReturnsFalse()
    {
        byte[] data = TestData.Random(4096, 4);
        Assert.False(Lz4.TryCompress(data, new byte[4000], out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Decompress_TruncatedOrWrongSize_Throws()
    {
        byte[] data = TestData.Compressible(50_000, 5);
        byte[] compressed = new byte[Lz4.CompressBound(data.Length)];
        int written = Lz4.Compress(data, compressed);
        var e = Assert.Throws<NativeCodecException>(() => Lz4.Decompress(compressed.AsSpan(0, written - 7), new byte[data.Length]));
        Assert.Equal("liblz4", e.Library);
        Assert.Throws<NativeCodecException>(() => Lz4.Decompress(compressed.AsSpan(0, written), new byte[data.Length - 1]));
        Assert.Throws<NativeCodecException>(() => Lz4.Decompress(compressed.AsSpan(0, written), new byte[data.Length + 1]));
    }

    [Fact]
    public void Decompress_CorruptBytes_NeverOverruns()
    {
        byte[] data = TestData.Compressible(30_000, 6);
        byte[] compressed = new byte[Lz4.CompressBound(data.Length)];
        int written = Lz4.Compress(data, compressed);
        var rng = new Random(8);
        for (int i = 0; i < 300; i++)
        {
            byte[] bad = compressed[..written];
            bad[rng.Next(bad.Length)] = (byte)rng.Next(256);
            byte[] target = new byte[data.Length + 64];
            Array.Fill(target, (byte)0x5A, data.Length, 64);
            try
            {
                Lz4.Decompress(bad, target.AsSpan(0, data.Length));
            }
            catch (NativeCodecException)
            {
            }

            Assert.All(target.AsSpan(data.Length).ToArray(), b => Assert.Equal(0x5A, b));
        }
    }

    [Fact]
    public void Decompress_Garbage_Throws()
        => Assert.Throws<NativeCodecException>(() => Lz4.Decompress([0xF0, 0xFF, 0xFF], new byte[16]));

    [Fact]
    public void Version_Is19OrLater() => Assert.True(Lz4.VersionNumber >= 10900);
}
