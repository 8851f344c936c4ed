using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Argos.Volume.Maintenance;
using Argos.Volume.Snapshots;
using Xunit;
using static Argos.Volume.Tests.FsckTestSupport;

namespace Argos.Volume.Tests;

/// <summary>fallocate PUNCH_HOLE and ZERO_RANGE on the volume (ArgosVolume.Holes.cs), on 2+1 pools of 512 KiB stripes.</summary>
public sealed class HoleTests
{
    private static long UsedBytes(ArgosVolume v) => v.Info.Members.Sum(m => m.UsedBytes);

    private static void AssertFsckClean(ArgosVolume v)
    {
        var report = v.Fsck(new FsckOptions { Full = true });
        Assert.True(report.Ok, string.Join("; ", report.Issues.Select(i => $"{i.Kind}: {i.Message}")));
        Assert.DoesNotContain(report.Issues, i => i.Kind == "leak");
    }

    private static void AssertZeros(byte[] data, ulong start, ulong end)
    {
        var at = data.AsSpan((int)start, (int)(end - start)).IndexOfAnyExcept((byte)0);
        if (at >= 0) Assert.Fail($"byte {start + (ulong)at} is {data[start + (ulong)at]}, expected 0 in [{start}, {end})");
    }

    private static void AssertSame(byte[] expected, byte[] actual, ulong start, ulong end)
    {
        Assert.True(expected.AsSpan((int)start, (int)(end - start)).SequenceEqual(actual.AsSpan((int)start, (int)(end - start))),
            $"bytes in [{start}, {end}) changed");
    }

    private static ulong[] StripeIndices(ArgosVolume v, InodeId ino) => Stripes(v, ino).Select(s => s.Key.Value).ToArray();

    [Fact]
    public void PunchHole_AcrossStripes_ReadsZeros_KeepsSize_ReleasesWholeStripes_AndSurvivesReopen()
    {
        using var pool = new TempPool();
        byte[] data;
        ulong s, start, end;
        InodeId ino;
        using (var v = pool.Open())
        {
            s = (ulong)v.StripeDataBytes;
            data = RandomBytes((int)(5 * s + 1000), 1);
            ino = WriteFile(v, "f", data);
            v.Sync();
            Assert.Equal(new ulong[] { 0, 1, 2, 3, 4, 5 }, StripeIndices(v, ino));
            var used = UsedBytes(v);
            var mtime = v.GetAttr(ino).Mtime;
            Thread.Sleep(10);

            start = s / 2;
            end = 3 * s + 12345; // half of stripe 0, stripes 1 and 2, the start of stripe 3
            var attr = v.PunchHole(ino, start, end - start, Root);
            v.Sync();

            Assert.Equal((ulong)data.Length, attr.Size);
            Assert.Equal((ulong)data.Length, v.GetAttr(ino).Size);
            Assert.True(attr.Mtime.CompareTo(mtime) > 0, "punching a hole sets mtime");
            var back = ReadAll(v, ino);
            AssertSame(data, back, 0, start);
            AssertZeros(back, start, end);
            AssertSame(data, back, end, (ulong)data.Length);
            Assert.Equal(new ulong[] { 0, 3, 4, 5 }, StripeIndices(v, ino));
            Assert.Equal(4 * s, v.AllocatedBytes(ino, v.GetAttr(ino).Size)); // st_blocks: 4 stripes of 6 are left
            Assert.True(UsedBytes(v) < used - (long)s, $"used {UsedBytes(v)} bytes after the punch, {used} before: the released stripes were not freed");
            Assert.Equal(s, v.Seek(ino, 0, data: false));
            Assert.Equal(3 * s, v.Seek(ino, s, data: true));
            AssertFsckClean(v);
        }
        using (var v = pool.Open(readOnly: true))
        {
            var back = ReadAll(v, ino);
            AssertSame(data, back, 0, start);
            AssertZeros(back, start, end);
            AssertSame(data, back, end, (ulong)data.Length);
            Assert.Equal(new ulong[] { 0, 3, 4, 5 }, StripeIndices(v, ino));
        }
    }

    [Fact]
    public void PunchHole_WithinOneStripe_ZeroesOnlyThoseBytes_KeepsTheStripe()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var s = (ulong)v.StripeDataBytes;
        var data = RandomBytes((int)(2 * s), 2);
        var ino = WriteFile(v, "f", data);
        v.PunchHole(ino, s + 4096, 8192, Root);
        var back = ReadAll(v, ino);
        AssertSame(data, back, 0, s + 4096);
        AssertZeros(back, s + 4096, s + 12288);
        AssertSame(data, back, s + 12288, 2 * s);
        Assert.Equal(new ulong[] { 0, 1 }, StripeIndices(v, ino));
        AssertFsckClean(v);
    }

    [Theory]
    [InlineData(0)]   // stripe-aligned: no edge is rewritten, only the flush first keeps the buffered stripe out
    [InlineData(50)]  // and the first 50 bytes of stripe 3
    public void PunchHole_OverBufferedWrites_ZeroesThem_AndTheyDoNotComeBack(int tailBytes)
    {
        using var pool = new TempPool();
        byte[] data;
        ulong s, end;
        InodeId ino;
        using (var v = pool.Open())
        {
            s = (ulong)v.StripeDataBytes;
            data = RandomBytes((int)(4 * s), 3);
            ino = WriteFile(v, "f", data);
            // Buffered, not flushed: partial overwrites of stripes 1 and 3, and a new stripe 5 past a hole.
            var patch = RandomBytes(1000, 4);
            v.Write(ino, s + 100, patch, Root);
            v.Write(ino, 3 * s + 100, patch, Root);
            v.Write(ino, 5 * s, patch, Root);
            patch.CopyTo(data, (int)(s + 100));
            patch.CopyTo(data, (int)(3 * s + 100));
            data = [.. data, .. new byte[s], .. patch];

            end = 3 * s + (ulong)tailBytes;
            v.PunchHole(ino, s, end - s, Root); // stripes 1 and 2 whole
            Assert.Equal((ulong)data.Length, v.GetAttr(ino).Size);
            var back = ReadAll(v, ino);
            AssertSame(data, back, 0, s);
            AssertZeros(back, s, end);
            AssertSame(data, back, end, (ulong)data.Length);
            Assert.Equal(new ulong[] { 0, 3, 5 }, StripeIndices(v, ino));
            AssertFsckClean(v);
        }
        using (var v = pool.Open(readOnly: true))
        {
            var back = ReadAll(v, ino);
            AssertSame(data, back, 0, s);
            AssertZeros(back, s, end);
            AssertSame(data, back, end, (ulong)data.Length);
            Assert.Equal(new ulong[] { 0, 3, 5 }, StripeIndices(v, ino));
        }
    }

    [Fact]
    public void PunchHole_ToPastTheEnd_ReleasesThePartialLastStripe_AndKeepsTheSize()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var s = (ulong)v.StripeDataBytes;
        var data = RandomBytes((int)(2 * s + s / 2), 5);
        var ino = WriteFile(v, "f", data);
        v.PunchHole(ino, 2 * s, 10 * s, Root);
        Assert.Equal((ulong)data.Length, v.GetAttr(ino).Size);
        Assert.Equal(new ulong[] { 0, 1 }, StripeIndices(v, ino));
        var back = ReadAll(v, ino);
        AssertSame(data, back, 0, 2 * s);
        AssertZeros(back, 2 * s, (ulong)data.Length);
        Assert.Equal(2 * s, v.Seek(ino, 0, data: false));
        Assert.Equal(Errno.ENXIO, Assert.Throws<VolumeException>(() => v.Seek(ino, 2 * s, data: true)).Errno);

        // Wholly past the end: nothing to do, nothing changes.
        var before = v.GetAttr(ino);
        Assert.Equal(before, v.PunchHole(ino, 100 * s, s, Root));
        AssertFsckClean(v);
    }

    [Fact]
    public void PunchHole_InlineFile_ZeroesBytes_AndAWholePunchDropsTheInlineData()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var data = RandomBytes(300, 6);
        var ino = WriteFile(v, "small", data);
        Assert.Equal(300, v.Namespace.GetInlineData(ino).Length);
        v.PunchHole(ino, 10, 20, Root);
        var back = ReadAll(v, ino);
        AssertSame(data, back, 0, 10);
        AssertZeros(back, 10, 30);
        AssertSame(data, back, 30, 300);

        v.PunchHole(ino, 0, 4096, Root);
        Assert.Equal(300UL, v.GetAttr(ino).Size);
        Assert.Equal(0, v.Namespace.GetInlineData(ino).Length);
        AssertZeros(ReadAll(v, ino), 0, 300);
        Assert.Equal(0UL, v.AllocatedBytes(ino, 300));
        AssertFsckClean(v);
    }

    [Fact]
    public void ZeroRange_WithoutKeepSize_ExtendsTheFile_WithKeepSize_DoesNot()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var s = (ulong)v.StripeDataBytes;
        var data = RandomBytes((int)(3 * s), 7);
        var ino = WriteFile(v, "f", data);

        v.ZeroRange(ino, 2 * s + 1000, 2 * s, keepSize: true, Root); // from inside stripe 2 to past the end
        Assert.Equal(3 * s, v.GetAttr(ino).Size);
        var back = ReadAll(v, ino);
        AssertSame(data, back, 0, 2 * s + 1000);
        AssertZeros(back, 2 * s + 1000, 3 * s);

        v.ZeroRange(ino, 100, 2 * s, keepSize: false, Root); // inside the file: the size stays; stripe 1 is whole
        Assert.Equal(3 * s, v.GetAttr(ino).Size);
        Assert.Equal(new ulong[] { 0, 2 }, StripeIndices(v, ino));
        v.ZeroRange(ino, 3 * s - 10, 5 * s, keepSize: false, Root);
        Assert.Equal(8 * s - 10, v.GetAttr(ino).Size);
        back = ReadAll(v, ino);
        AssertSame(data, back, 0, 100);
        AssertZeros(back, 100, 2 * s + 100);
        AssertSame(data, back, 2 * s + 100, 2 * s + 1000);
        AssertZeros(back, 2 * s + 1000, 8 * s - 10);
        Assert.Equal(new ulong[] { 0, 2 }, StripeIndices(v, ino)); // the extension is a hole
        v.Sync();
        AssertFsckClean(v);
    }

    [Fact]
    public void PunchHole_UnderASnapshot_SnapshotKeepsTheData_FreedOnlyWhenTheSnapshotGoes()
    {
        using var pool = new TempPool(size: "64MiB");
        using var v = pool.Open();
        var s = (ulong)v.StripeDataBytes;
        var data = RandomBytes((int)(4 * s), 8);
        var ino = WriteFile(v, "f", data);
        v.CreateSnapshot("before");
        var used = UsedBytes(v);

        v.PunchHole(ino, 0, 4 * s, Root);
        v.Sync();
        AssertZeros(ReadAll(v, ino), 0, 4 * s);
        Assert.Empty(Stripes(v, ino));
        Assert.True(UsedBytes(v) > used - (long)s, $"used {UsedBytes(v)} bytes after the punch, {used} before: it freed extents a snapshot pins");
        using (SnapshotView view = v.OpenSnapshot("before"))
        {
            var frozen = view.Namespace.Lookup(InodeId.Root, "f"u8).Ino;
            var back = new byte[data.Length];
            Assert.Equal(data.Length, view.Read(frozen, 0, back));
            Assert.True(data.AsSpan().SequenceEqual(back), "the snapshot changed with the punch");
        }
        AssertFsckClean(v);
        Assert.True(v.DeleteSnapshot("before") >= 4 * (long)s, "deleting the snapshot frees the punched stripes");
        v.Sync();
        Assert.True(UsedBytes(v) < used - 3 * (long)s);
        AssertFsckClean(v);
    }

    [Fact]
    public void Refusals_ReadOnlyDirectoryZeroLengthAndOverflow()
    {
        using var pool = new TempPool();
        using (var v = pool.Open())
        {
            var ino = WriteFile(v, "f", RandomBytes(1000, 9));
            var dir = v.Mutate(tx => v.Namespace.Mkdir(tx, InodeId.Root, "d"u8, 0x1ED, Root)).Ino;
            Assert.Equal(Errno.EISDIR, Assert.Throws<VolumeException>(() => v.PunchHole(dir, 0, 10, Root)).Errno);
            Assert.Equal(Errno.EINVAL, Assert.Throws<VolumeException>(() => v.PunchHole(ino, 0, 0, Root)).Errno);
            Assert.Equal(Errno.EFBIG, Assert.Throws<VolumeException>(() => v.ZeroRange(ino, long.MaxValue, 2, keepSize: false, Root)).Errno);
        }
        using (var ro = pool.Open(readOnly: true))
        {
            var ino = Lookup(ro, "f");
            Assert.Equal(Errno.EROFS, Assert.Throws<VolumeException>(() => ro.PunchHole(ino, 0, 10, Root)).Errno);
            Assert.Equal(Errno.EROFS, Assert.Throws<VolumeException>(() => ro.ZeroRange(ino, 0, 10, keepSize: true, Root)).Errno);
        }
    }
}
