using Argos.DataPath.Codecs;

namespace Argos.Native.Tests;

public class CompressionSettingsTests
{
    [Theory]
    [InlineData("zstd", CompressionCodec.Zstd, 3)]
    [InlineData("ZSTD:9", CompressionCodec.Zstd, 9)]
    [InlineData("zstd:-3", CompressionCodec.Zstd, -3)]
    [InlineData("lz4", CompressionCodec.Lz4, 0)]
    [InlineData("none", CompressionCodec.None, 0)]
    [InlineData("off", CompressionCodec.None, 0)]
    public void Parse_Valid(string text, CompressionCodec codec, int level)
    {
        CompressionSettings s = CompressionSettings.Parse(text);
        Assert.Equal(codec, s.Codec);
        Assert.Equal(level, s.Level);
        Assert.Equal(s, CompressionSettings.Parse(s.ToString()));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("lz4:3")]
    [InlineData("zstd:abc")]
    [InlineData("zstd:99")]
    public void Parse_Invalid_NamesTheFix(string text)
    {
        var e = Assert.Throws<FormatException>(() => CompressionSettings.Parse(text));
        Assert.Contains("zstd", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_IsZstdLevel3() => Assert.Equal(new CompressionSettings(CompressionCodec.Zstd, 3), CompressionSettings.Default);
}
