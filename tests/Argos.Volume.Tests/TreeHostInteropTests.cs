using System.Buffers.Binary;
using System.Globalization;
using Argos.Platform.Interop;
using Argos.Volume.Tree;
using Xunit;

namespace Argos.Volume.Tests;

/// <summary>The host syscalls the tree copy relies on (LibC.Host.cs) and the device number layouts.</summary>
public sealed class TreeHostInteropTests : IDisposable
{
    private readonly string _work = Path.Combine("/tmp", "argos-treehost-" + Guid.NewGuid().ToString("N")[..8]);

    public TreeHostInteropTests()
    {
        Directory.CreateDirectory(_work);
    }

    public void Dispose()
    {
        // rm, not Directory.Delete: .NET cannot name the non-UTF-8 files these tests create.
        TreeShell.Run($"rm -rf '{_work}'", check: false);
    }

    [Fact]
    public void ParseStatx_AnnotatedLayout_ReadsEveryField()
    {
        var b = new byte[256];
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0), 0x7FF | 0x800);     // stx_mask: basic stats + btime
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 3);                // stx_nlink
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), 1000);             // stx_uid
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), 100);              // stx_gid
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(28), 0x21B6);           // stx_mode: S_IFCHR | 0666
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(32), 0x1122334455);     // stx_ino
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(40), 1UL << 40);        // stx_size
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(48), 16);               // stx_blocks
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(64), 981173106);         // stx_atime.tv_sec
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(72), 123456789);        // stx_atime.tv_nsec
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(80), 5);                 // stx_btime.tv_sec
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(96), -1);                // stx_ctime.tv_sec (before 1970)
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(104), 999999999);       // stx_ctime.tv_nsec
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(112), 946684799);        // stx_mtime.tv_sec
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(120), 1);               // stx_mtime.tv_nsec
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(128), 240);             // stx_rdev_major
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(132), 300000);          // stx_rdev_minor
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(136), 259);             // stx_dev_major
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(140), 7);               // stx_dev_minor

        var st = LibC.ParseStatx(b);
        Assert.Equal(new HostStat(0x21B6, 3, 1000, 100, 0x1122334455, 1UL << 40, 16,
            new HostTime(981173106, 123456789), new HostTime(946684799, 1), new HostTime(-1, 999999999), new HostTime(5, 0),
            240, 300000, 259, 7), st);
        Assert.True(st.IsDevice);

        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0), 0x7FF);             // no STATX_BTIME: birth time unknown
        Assert.Null(LibC.ParseStatx(b).Btime);
        Assert.Throws<ArgumentException>(() => LibC.ParseStatx(new byte[255]));
    }

    [Fact]
    public void LStat_MatchesStat1_ForFilesSymlinksAndDevices()
    {
        Assert.True(TreeShell.IsRoot, "this test needs root (mknod)");
        TreeShell.Run($"""
            cd {_work} && printf 12345 > f && ln f f2 && chown 1234:5678 f && chmod 4751 f
            touch -d '2001-02-03 04:05:06.123456789' f && ln -s f sym && mknod dev b 8 17
            """);
        foreach (var name in new[] { "f", "sym", "dev" })
        {
            var path = Path.Combine(_work, name);
            var st = LibC.LStat(System.Text.Encoding.UTF8.GetBytes(path));
            var expected = TreeShell.Run($"stat -c '%f %h %u %g %i %s %X %Y %t %T' '{path}'").Trim();
            var mtimeNs = TreeShell.Run($"stat -c %y '{path}'").Trim().Split(' ')[1].Split('.')[1];
            var actual = string.Create(CultureInfo.InvariantCulture,
                $"{st.Mode:x} {st.Nlink} {st.Uid} {st.Gid} {st.Inode} {st.SizeBytes} {st.Atime.Seconds} {st.Mtime.Seconds} {st.RdevMajor:x} {st.RdevMinor:x}");
            Assert.Equal(expected, actual);
            Assert.Equal(mtimeNs, st.Mtime.Nanoseconds.ToString("D9", CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void ReadDirectoryNames_KeepsNonUtf8NamesAsBytes()
    {
        TreeShell.Run($"cd {_work} && touch $'bad\\xffname' plain && mkdir sub");
        var names = LibC.ReadDirectoryNames(System.Text.Encoding.UTF8.GetBytes(_work));
        Assert.Equal(3, names.Count);
        byte[] expected = [.. "bad"u8.ToArray(), 0xFF, .. "name"u8.ToArray()];
        Assert.Contains(names, n => n.AsSpan().SequenceEqual(expected));
        Assert.Contains(names, n => n.AsSpan().SequenceEqual("plain"u8));
    }

    [Fact]
    public void SetTimesXattrsAndNodes_RoundTripThroughLStat()
    {
        Assert.True(TreeShell.IsRoot, "this test needs root (mknod, trusted.*)");
        var dev = System.Text.Encoding.UTF8.GetBytes(Path.Combine(_work, "dev"));
        LibC.MakeNode(dev, LibC.S_IFCHR | 0x1A4, 240, 300000);
        LibC.SetXattr(dev, "trusted.t"u8, [1, 2, 3]);
        LibC.SetXattr(dev, "security.s"u8, []);
        LibC.SetTimes(dev, new HostTime(1, 2), new HostTime(946684799, 999999999));
        var st = LibC.LStat(dev);
        Assert.Equal((240u, 300000u), (st.RdevMajor, st.RdevMinor));
        Assert.Equal(new HostTime(946684799, 999999999), st.Mtime);
        Assert.Equal(new HostTime(1, 2), st.Atime);
        Assert.Equal([1, 2, 3], LibC.GetXattr(dev, "trusted.t"u8));
        Assert.Empty(LibC.GetXattr(dev, "security.s"u8));
        Assert.Contains(LibC.ListXattrs(dev), n => n.AsSpan().SequenceEqual("trusted.t"u8));
        Assert.True(LibC.TryRemoveXattr(dev, "trusted.t"u8));
        Assert.False(LibC.TryRemoveXattr(dev, "trusted.t"u8));
        var e = Assert.Throws<Argos.Platform.SystemCallException>(() => LibC.MakeDirectory(dev, 0x1ED));
        Assert.Equal(Argos.Platform.Errno.EEXIST, e.Errno);
        Assert.Contains("export into an empty directory", e.Message);
    }

    [Theory]
    [InlineData(1u, 3u, 0x103UL)]           // /dev/null
    [InlineData(8u, 17u, 0x811UL)]          // sdb1
    [InlineData(240u, 300000u, 0x4930F0E0UL)] // minor above 255: bits 8..19 of the minor go to bits 20..31
    [InlineData(4095u, 1048575u, 0xFFFFFFFFUL)]
    public void DeviceNumber_IsNewEncodeDev_AndInverts(uint major, uint minor, ulong encoded)
    {
        Assert.Equal(encoded, DeviceNumber.Encode(major, minor));
        Assert.Equal(major, DeviceNumber.Major(encoded));
        Assert.Equal(minor, DeviceNumber.Minor(encoded));
    }

    [Fact]
    public void MakeDev_MatchesGlibcMakedev()
    {
        var glibc = TreeShell.Run("python3 -c 'import os; print(os.makedev(240, 300000), os.makedev(4095, 1048575), os.makedev(4096, 5))'").Trim().Split(' ');
        Assert.Equal(glibc[0], LibC.MakeDev(240, 300000).ToString(CultureInfo.InvariantCulture));
        Assert.Equal(glibc[1], LibC.MakeDev(4095, 1048575).ToString(CultureInfo.InvariantCulture));
        Assert.Equal(glibc[2], LibC.MakeDev(4096, 5).ToString(CultureInfo.InvariantCulture));
        Assert.Throws<ArgumentOutOfRangeException>(() => DeviceNumber.Encode(4096, 0));
    }
}
