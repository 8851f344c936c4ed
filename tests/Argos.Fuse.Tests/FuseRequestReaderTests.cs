using Xunit;

namespace Argos.Fuse.Tests;

/// <summary>STYLE habit 3: the cursor returns false on short or malformed input and never throws.</summary>
public sealed class FuseRequestReaderTests
{
    [Fact]
    public void TryRead_Short_ReturnsFalseAndConsumesNothing()
    {
        var reader = new FuseRequestReader(new byte[7]);
        Assert.False(reader.TryRead(out ulong _));
        Assert.Equal(7, reader.Remaining);
    }

    [Fact]
    public void TryRead_CompatSize_ZeroFillsTheRest()
    {
        var reader = new FuseRequestReader(AnnotatedHex.Parse("07000000 16000000 00000200 01000000 ffffffff"));
        Assert.True(reader.TryRead(16, out fuse_init_in init));
        Assert.Equal(7u, init.major);
        Assert.Equal(22u, init.minor);
        Assert.Equal(1u, init.flags);
        Assert.Equal(0u, init.flags2);
        Assert.Equal(4, reader.Remaining);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65)]
    public void TryRead_CompatSizeOutOfRange_ReturnsFalse(int wire)
    {
        var reader = new FuseRequestReader(new byte[128]);
        Assert.False(reader.TryRead(wire, out fuse_init_in _));
    }

    [Fact]
    public void TryReadName_SplitsOnNul_AndFailsWithoutOne()
    {
        var reader = new FuseRequestReader("old\0new\0tail"u8);
        Assert.True(reader.TryReadName(out var first));
        Assert.Equal("old"u8.ToArray(), first.ToArray());
        Assert.True(reader.TryReadName(out var second));
        Assert.Equal("new"u8.ToArray(), second.ToArray());
        Assert.False(reader.TryReadName(out _));
        Assert.Equal(4, reader.Remaining);
    }

    [Fact]
    public void TryReadBytes_And_TryReadArray_CheckBounds()
    {
        var reader = new FuseRequestReader(new byte[20]);
        Assert.False(reader.TryReadBytes(21, out _));
        Assert.False(reader.TryReadBytes(-1, out _));
        Assert.False(reader.TryReadArray<fuse_forget_one>(uint.MaxValue, out _));
        Assert.True(reader.TryReadArray<fuse_forget_one>(1, out var one));
        Assert.Equal(1, one.Length);
        Assert.Equal(4, reader.Remaining);
    }

    [Fact]
    public void RandomGarbage_NeverThrows()
    {
        var random = new Random(1234);
        var buffer = new byte[64];
        for (int i = 0; i < 2000; i++)
        {
            random.NextBytes(buffer);
            var reader = new FuseRequestReader(buffer.AsSpan(0, random.Next(buffer.Length)));
            _ = reader.TryRead(out fuse_setattr_in _);
            _ = reader.TryReadName(out _);
            _ = reader.TryRead(random.Next(-5, 70), out fuse_init_in _);
            _ = reader.TryReadBytes(random.Next(-5, 70), out _);
            _ = reader.TryReadArray<fuse_forget_one>((uint)random.Next(), out _);
        }
    }
}
