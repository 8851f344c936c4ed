using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Xunit;

namespace Argos.Volume.Tests;

public sealed class DataPathTests
{
    private static readonly Credentials s_root = Credentials.Root;

    private static byte[] Random(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static InodeId CreateFile(ArgosVolume v, string name) =>
        v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, Encoding.UTF8.GetBytes(name), 0x81A4, s_root)).Ino;

    private static byte[] ReadAll(ArgosVolume v, InodeId ino)
    {
        var size = v.GetAttr(ino).Size;
        var buffer = new byte[size];
        var n = v.Read(ino, 0, buffer);
        Assert.Equal((int)size, n);
        return buffer;
    }

    [Theory]
    [InlineData(100)]            // inline
    [InlineData(10_000)]         // replicated stripe
    [InlineData(1_500_000)]      // several erasure-coded stripes and a tail
    public void WriteThenRead_AfterReopen_ReturnsSameBytes(int length)
    {
        using var pool = new TempPool();
        var data = Random(length, length);
        InodeId ino;
        using (var v = pool.Open())
        {
            ino = CreateFile(v, "f");
            v.Write(ino, 0, data, s_root);
            Assert.Equal(data, ReadAll(v, ino));
        }
        using (var v = pool.Open(readOnly: true))
        {
            Assert.Equal(data, ReadAll(v, ino));
        }
    }

    [Fact]
    public void PartialOverwrite_AndAppend_RewriteOnlyTouchedRanges()
    {
        using var pool = new TempPool();
        var expected = Random(1_200_000, 7);
        using (var v = pool.Open())
        {
            var ino = CreateFile(v, "f");
            v.Write(ino, 0, expected, s_root);
            v.Sync();
            var patch = Random(5000, 8);
            v.Write(ino, 600_000, patch, s_root);
            patch.CopyTo(expected, 600_000);
            var tail = Random(300_000, 9);
            v.Write(ino, (ulong)expected.Length, tail, s_root);
            expected = expected.Concat(tail).ToArray();
            Assert.Equal(expected, ReadAll(v, ino));
        }
        using (var v = pool.Open())
        {
            var ino = v.Namespace.Lookup(InodeId.Root, "f"u8).Ino;
            Assert.Equal(expected, ReadAll(v, ino));
        }
    }

    [Fact]
    public void DegradedRead_OneMemberMissing_ReturnsSameBytes()
    {
        using var pool = new TempPool();
        var data = Random(2_000_000, 3);
        using (var v = pool.Open())
        {
            v.Write(CreateFile(v, "f"), 0, data, s_root);
        }
        File.Delete(pool.Images[1]);
        using (var v = pool.Open(readOnly: true, images: [pool.Images[0], pool.Images[2]]))
        {
            Assert.True(v.Info.Degraded);
            Assert.Equal(data, ReadAll(v, v.Namespace.Lookup(InodeId.Root, "f"u8).Ino));
        }
    }

    [Fact]
    public void SparseFile_HolesReadAsZeros_AndCostNoSpace()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var ino = CreateFile(v, "sparse");
        var usedBefore = v.Info.Members.Sum(m => m.UsedBytes);
        v.Write(ino, 100UL << 20, "end"u8, s_root);
        v.Sync();
        Assert.Equal((100UL << 20) + 3, v.GetAttr(ino).Size);
        var buffer = new byte[4096];
        Assert.Equal(4096, v.Read(ino, 50UL << 20, buffer));
        Assert.All(buffer, b => Assert.Equal(0, b));
        var usedAfter = v.Info.Members.Sum(m => m.UsedBytes);
        Assert.True(usedAfter - usedBefore < 1 << 20, $"a 100 MiB hole used {usedAfter - usedBefore} bytes");
        Assert.Equal(0UL, v.Seek(ino, 0, data: false));
        Assert.Equal(100UL << 20 & ~((ulong)v.StripeDataBytes - 1), v.Seek(ino, 0, data: true));
    }

    [Fact]
    public async Task Seek_InAFileEndingNear2Pow62_WalksStoredStripesNotIndices()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var ino = CreateFile(v, "huge");
        var s = (ulong)v.StripeDataBytes;
        v.Write(ino, 0, "head"u8, s_root);
        v.Write(ino, 3 * s, Enumerable.Repeat((byte)1, (int)s + 1).ToArray(), s_root); // stripe 3 and 1 byte of stripe 4
        v.Write(ino, 1UL << 62, "tail"u8, s_root);
        v.Sync();
        var size = (1UL << 62) + 4;
        var seeks = Task.Run(() => new[]
        {
            v.Seek(ino, 0, data: false), v.Seek(ino, s, data: true), v.Seek(ino, 3 * s + 7, data: false),
            v.Seek(ino, 5 * s, data: true), v.Seek(ino, 1UL << 62, data: false), v.Seek(ino, (1UL << 62) + 2, data: true),
        });
        var done = await Task.WhenAny(seeks, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(done == seeks, "SEEK_DATA/SEEK_HOLE did not finish in 30 s: they walk stripe indices");
        Assert.Equal(new[] { s, 3 * s, 5 * s, (1UL << 62) / s * s, size, (1UL << 62) + 2 }, await seeks);
        Assert.Equal(Errno.ENXIO, Assert.Throws<VolumeException>(() => v.Seek(ino, size, data: true)).Errno);
    }

    [Fact]
    public void Truncate_ShrinksAndFreesSpace()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var ino = CreateFile(v, "t");
        var data = Random(3_000_000, 4);
        v.Write(ino, 0, data, s_root);
        v.Sync();
        var used = v.Info.Members.Sum(m => m.UsedBytes);
        v.Truncate(ino, 700_001, s_root);
        v.Sync();
        Assert.Equal(data.AsSpan(0, 700_001).ToArray(), ReadAll(v, ino));
        Assert.True(v.Info.Members.Sum(m => m.UsedBytes) < used);
    }

    [Fact]
    public void Unlink_FreesStripes()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var used0 = v.Info.Members.Sum(m => m.UsedBytes);
        var ino = CreateFile(v, "gone");
        v.Write(ino, 0, Random(4_000_000, 5), s_root);
        v.Sync();
        Assert.True(v.Info.Members.Sum(m => m.UsedBytes) > used0 + 4_000_000);
        v.Mutate(tx => v.Namespace.Unlink(tx, InodeId.Root, "gone"u8));
        v.Sync();
        v.Sync();
        Assert.True(v.Info.Members.Sum(m => m.UsedBytes) < used0 + (1 << 20));
    }

    [Fact]
    public void ReadOnlyVolume_RefusesWrites_WithEROFS()
    {
        using var pool = new TempPool();
        using (var v = pool.Open()) CreateFile(v, "f");
        using var ro = pool.Open(readOnly: true);
        var ino = ro.Namespace.Lookup(InodeId.Root, "f"u8).Ino;
        var e = Assert.Throws<VolumeException>(() => ro.Write(ino, 0, "x"u8, s_root));
        Assert.Equal(Errno.EROFS, e.Errno);
    }
}

public sealed class DataPathBufferTests
{
    [Fact]
    public void SmallWrites_ThenExtendingWrite_ReadBackWithZerosBetween()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var ino = v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, "grow"u8, 0x81A4, Credentials.Root)).Ino;
        v.Write(ino, 0, "head"u8, Credentials.Root);
        v.Write(ino, 300_000, "middle"u8, Credentials.Root);   // same stripe, beyond the small buffer
        v.Write(ino, 900_000, "tail"u8, Credentials.Root);     // next stripe
        var expected = new byte[900_004];
        "head"u8.CopyTo(expected);
        "middle"u8.CopyTo(expected.AsSpan(300_000));
        "tail"u8.CopyTo(expected.AsSpan(900_000));
        var before = new byte[expected.Length];
        Assert.Equal(expected.Length, v.Read(ino, 0, before));
        Assert.Equal(expected, before);
        v.Sync();
        var after = new byte[expected.Length];
        Assert.Equal(expected.Length, v.Read(ino, 0, after));
        Assert.Equal(expected, after);
    }
}
