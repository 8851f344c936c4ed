using Argos.Cli;
using Argos.Cli.Parsing;
using Xunit;

namespace Argos.Cli.Tests;

public sealed class ParsingTests
{
    [Theory]
    [InlineData("4096", 4096UL)]
    [InlineData("1_048_576", 1048576UL)]
    [InlineData("64MiB", 64UL << 20)]
    [InlineData("64mib", 64UL << 20)]
    [InlineData("256KiB", 256UL << 10)]
    [InlineData("1G", 1UL << 30)]
    [InlineData("2T", 2UL << 40)]
    [InlineData("1GB", 1_000_000_000UL)]
    [InlineData("10kb", 10_000UL)]
    [InlineData("7b", 7UL)]
    public void ByteSize_Parse_AcceptsCommonForms(string text, ulong expected) =>
        Assert.Equal(expected, ByteSize.Parse(text));

    [Theory]
    [InlineData("", "does not start with a number")]
    [InlineData("MiB", "does not start with a number")]
    [InlineData("12XB", "unknown unit")]
    [InlineData("99999999999999999999", "too large")]
    [InlineData("17179869184T", "too large")]
    public void ByteSize_Parse_RejectsWithReason(string text, string reason)
    {
        var e = Assert.Throws<UsageException>(() => ByteSize.Parse(text));
        Assert.Contains(reason, e.Message);
    }

    [Theory]
    [InlineData("755", 0x1EDu)]
    [InlineData("0755", 0x1EDu)]
    [InlineData("0o755", 0x1EDu)]
    [InlineData("0x1ed", 0x1EDu)]
    [InlineData("4755", 0x9EDu)]
    [InlineData("0o1777", 0x3FFu)]
    public void FileModeText_Parse_AcceptsChmodForms(string text, uint expected) =>
        Assert.Equal(expected, FileModeText.Parse(text));

    [Theory]
    [InlineData("789")]
    [InlineData("rwx")]
    [InlineData("0x")]
    [InlineData("0o")]
    [InlineData("7777777")]
    public void FileModeText_Parse_RejectsNonModes(string text)
    {
        var e = Assert.Throws<UsageException>(() => FileModeText.Parse(text));
        Assert.Contains("not a valid mode", e.Message);
    }

    [Fact]
    public void PoolSelector_SplitList_SplitsCommasAndRepeats() =>
        Assert.Equal(["a.img", "b.img", "c.img"], PoolSelector.SplitList(["a.img,b.img", " c.img "]));
}
