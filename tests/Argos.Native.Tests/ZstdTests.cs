using Argos.Platform.Native;

namespace Argos.Native.Tests;

public class ZstdTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(1 << 20)]
    public void Compress_ThenDecompress_RoundTripsCompressible(int length)
    {
        byte[] data = TestData.Compressible(length, seed: length);
        byte[] compressed = new byte[Zstd.CompressBound(length)];
        int written = Zstd.Compress(data, compressed, Zstd.DefaultLevel);
        Assert.Equal((ulong)length, Zstd.GetFrameContentSize(compressed.AsSpan(0, written)));
        if (length >= 1000)
        {
            Assert.True(written < length / 2, $"{written} of {length}");
        }

        byte[] back = new byte[length];
        Zstd.Decompress(compressed.AsSpan(0, written), back);
        Assert.Equal(data, back);
    }

    [Fact]
    public void Compress_RandomData_RoundTripsAtSeveralLevels()
    {
        byte[] data = TestData.Random(65536, seed: 1);
        foreach (int level in new[] { -5, 1, 3, 9, 19 })
        {
            byte[] compressed = new byte[Zstd.CompressBound(data.Length)];
            int written = Zstd.Compress(data, compressed, level);
            byte[] back = new byte[data.Length];
            Zstd.Decompress(compressed.AsSpan(0, written), back);
            Assert.Equal(data, back);
        }
    }

    [Fact]
    public void TryCompress_DestinationTooSmall_ReturnsFalse()
    {
        byte[] data = TestData.Random(4096, seed: 2);
        byte[] small = new byte[4000];
        Assert.False(Zstd.TryCompress(data, small, Zstd.DefaultLevel, out int written));
        Assert.Equal(0, written);
        Assert.Throws<NativeCodecException>(() => Zstd.Compress(data, small));
    }

    [Fact]
    public void Decompress_Truncated_ThrowsClearError()
    {
        (byte[] frame, byte[] data) = Frame(100_000);
        var e = Assert.Throws<NativeCodecException>(() => Zstd.Decompress(frame.AsSpan(0, frame.Length - 10), new byte[data.Length]));
        Assert.Equal("libzstd", e.Library);
        Assert.Contains("corrupt or truncated", e.Message, StringComparison.Ordinal);
    }

    // Frames carry no content checksum (stripe integrity is the shard CRC32C's and the AEAD tag's job),
    // so a flipped literal byte may decode silently; what must hold is: a typed error or a bounded write.
    [Fact]
    public void Decompress_CorruptBytes_ThrowsOrNeverOverruns()
    {
        (byte[] frame, byte[] data) = Frame(50_000);
        var rng = new Random(9);
        int thrown = 0;
        for (int i = 0; i < 200; i++)
        {
            byte[] bad = (byte[])frame.Clone();
            bad[rng.Next(bad.Length)] ^= (byte)(1 << rng.Next(8));
            // A guard region after the destination must stay untouched.
            byte[] target = new byte[data.Length + 64];
            Array.Fill(target, (byte)0xA5, data.Length, 64);
            try
            {
                Zstd.Decompress(bad, target.AsSpan(0, data.Length));
            }
            catch (NativeCodecException)
            {
                thrown++;
            }

            Assert.All(target.AsSpan(data.Length).ToArray(), b => Assert.Equal(0xA5, b));
        }

        Assert.True(thrown > 20, $"only {thrown} of 200 corruptions detected");
    }

    [Fact]
    public void Decompress_WrongExpectedSize_Throws()
    {
        (byte[] frame, byte[] data) = Frame(10_000);
        Assert.Throws<NativeCodecException>(() => Zstd.Decompress(frame, new byte[data.Length - 1]));
        var e = Assert.Throws<NativeCodecException>(() => Zstd.Decompress(frame, new byte[data.Length + 1]));
        Assert.Contains("expected", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decompress_Garbage_Throws()
    {
        Assert.Throws<NativeCodecException>(() => Zstd.Decompress(TestData.Random(100, 4), new byte[100]));
        Assert.Throws<NativeCodecException>(() => Zstd.Decompress([], new byte[10]));
        Assert.Null(Zstd.GetFrameContentSize(TestData.Random(100, 4)));
    }

    [Fact]
    public void Compress_ManyThreads_ContextsArePerThread()
    {
        byte[] data = TestData.Compressible(20_000, seed: 5);
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            byte[] compressed = new byte[Zstd.CompressBound(data.Length)];
            int written = Zstd.Compress(data, compressed, (i % 5) + 1);
            byte[] back = new byte[data.Length];
            Zstd.Decompress(compressed.AsSpan(0, written), back);
            Assert.Equal(data, back);
        });
    }

    [Fact]
    public void Levels_AndVersion_Reported()
    {
        Assert.True(Zstd.MaxLevel >= 19);
        Assert.True(Zstd.MinLevel < 0);
        Assert.StartsWith("1.", Zstd.Version, StringComparison.Ordinal);
    }

    private static (byte[] Frame, byte[] Data) Frame(int length)
    {
        byte[] data = TestData.Compressible(length, seed: 42);
        byte[] compressed = new byte[Zstd.CompressBound(length)];
        int written = Zstd.Compress(data, compressed);
        return (compressed[..written], data);
    }
}
