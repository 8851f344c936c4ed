using Argos.DataPath.Codecs;
using Argos.Platform.Native;

namespace Argos.Native.Tests;

public class StripeCompressorTests
{
    public static TheoryData<CompressionCodec> Codecs => [CompressionCodec.None, CompressionCodec.Zstd, CompressionCodec.Lz4];

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Compress_Compressible_UsesRequestedCodecAndRoundTrips(CompressionCodec codec)
    {
        byte[] data = TestData.Compressible(256 * 1024, 1);
        byte[] stored = new byte[data.Length];
        CompressionResult result = StripeCompressor.Compress(new CompressionSettings(codec), data, stored);
        Assert.Equal(codec, result.Codec);
        if (codec != CompressionCodec.None)
        {
            Assert.True(result.Length <= StripeCompressor.MaxKeptLength(data.Length));
        }

        byte[] back = new byte[data.Length];
        StripeCompressor.Decompress(result.Codec, stored.AsSpan(0, result.Length), back);
        Assert.Equal(data, back);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Compress_Incompressible_StoresRaw(CompressionCodec codec)
    {
        byte[] data = TestData.Random(128 * 1024, 2);
        byte[] stored = new byte[data.Length];
        CompressionResult result = StripeCompressor.Compress(new CompressionSettings(codec), data, stored);
        Assert.Equal(new CompressionResult(CompressionCodec.None, data.Length), result);
        Assert.Equal(data, stored);
    }

    [Fact]
    public void Compress_SavesLessThanAnEighth_StoresRaw()
    {
        // 90% random + 10% zeros: compresses by about 10%, below the 12.5% bar.
        byte[] data = TestData.Random(64 * 1024, 3);
        Array.Clear(data, 0, data.Length / 10);
        byte[] bound = new byte[Zstd.CompressBound(data.Length)];
        int zstdSize = Zstd.Compress(data, bound);
        Assert.True(zstdSize < data.Length && zstdSize > StripeCompressor.MaxKeptLength(data.Length), $"zstd gave {zstdSize}");

        CompressionResult result = StripeCompressor.Compress(CompressionSettings.Default, data, new byte[data.Length]);
        Assert.Equal(CompressionCodec.None, result.Codec);
    }

    [Fact]
    public void Compress_Empty_IsRawZeroLength()
    {
        CompressionResult result = StripeCompressor.Compress(CompressionSettings.Default, [], []);
        Assert.Equal(new CompressionResult(CompressionCodec.None, 0), result);
        StripeCompressor.Decompress(CompressionCodec.None, [], []);
    }

    [Fact]
    public void Compress_TinyInput_NeverExpands()
    {
        foreach (int length in new[] { 1, 2, 7, 8, 9, 31 })
        {
            byte[] data = new byte[length];
            CompressionResult r = StripeCompressor.Compress(new CompressionSettings(CompressionCodec.Lz4), data, new byte[length]);
            Assert.True(r.Length <= length);
            Assert.True(r.Codec == CompressionCodec.None || r.Length < length);
        }
    }

    [Fact]
    public void Compress_DestinationSmallerThanSource_Throws()
        => Assert.Throws<ArgumentException>(() => StripeCompressor.Compress(CompressionSettings.Default, new byte[100], new byte[99]));

    [Fact]
    public void Compress_Overlapping_Throws()
    {
        byte[] buffer = new byte[200];
        Assert.Throws<ArgumentException>(() => StripeCompressor.Compress(CompressionSettings.Default, buffer.AsSpan(0, 100), buffer.AsSpan(50, 150)));
    }

    [Theory]
    [InlineData(CompressionCodec.Zstd)]
    [InlineData(CompressionCodec.Lz4)]
    public void Decompress_Truncated_ThrowsNativeCodecException(CompressionCodec codec)
    {
        byte[] data = TestData.Compressible(64 * 1024, 4);
        byte[] stored = new byte[data.Length];
        CompressionResult r = StripeCompressor.Compress(new CompressionSettings(codec), data, stored);
        Assert.Equal(codec, r.Codec);
        Assert.Throws<NativeCodecException>(() => StripeCompressor.Decompress(codec, stored.AsSpan(0, r.Length / 2), new byte[data.Length]));
    }

    [Fact]
    public void Decompress_RawWithWrongLength_Throws()
    {
        var e = Assert.Throws<NativeCodecException>(() => StripeCompressor.Decompress(CompressionCodec.None, new byte[10], new byte[11]));
        Assert.Contains("corrupt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decompress_UnknownCodec_Throws()
    {
        var e = Assert.Throws<NativeCodecException>(() => StripeCompressor.Decompress((CompressionCodec)9, new byte[10], new byte[10]));
        Assert.Contains("unknown compression codec 9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Codec_OnDiskValues_AreStable()
    {
        Assert.Equal(0, (byte)CompressionCodec.None);
        Assert.Equal(1, (byte)CompressionCodec.Zstd);
        Assert.Equal(2, (byte)CompressionCodec.Lz4);
    }
}
