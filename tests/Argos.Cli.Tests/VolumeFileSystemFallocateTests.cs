using Argos.Cli.Mount;
using Argos.Format;
using Argos.Fuse;
using Argos.Platform;
using Argos.Volume;
using Xunit;

namespace Argos.Cli.Tests;

/// <summary>The FUSE adapter's fallocate(2) modes, called in process (no kernel, so no kernel-side checks first).</summary>
public sealed class VolumeFileSystemFallocateTests : IDisposable
{
    private const int O_RDONLY = 0, O_RDWR = 2;
    private const int KeepSize = 0x01, PunchHole = 0x02, CollapseRange = 0x08, ZeroRange = 0x10, InsertRange = 0x20, UnshareRange = 0x40;
    private static readonly FuseContext s_root = new(unique: 1, uid: 0, gid: 0, pid: 0);

    private readonly CliPool _pool = new();

    public void Dispose() => _pool.Dispose();

    private static (NodeId Node, FileHandle Handle) CreateFile(VolumeFileSystem fs, string name, int flags)
    {
        var errno = fs.Create(s_root, NodeId.Root, System.Text.Encoding.UTF8.GetBytes(name), new FuseOpenRequest(flags, 0x81A4, 0, false), out var entry, out var open);
        Assert.Equal(Errno.None, errno);
        return (entry.Node, open.Handle);
    }

    private static byte[] Read(VolumeFileSystem fs, NodeId node, FileHandle handle, ulong offset, int length)
    {
        var buffer = new byte[length];
        Assert.Equal(Errno.None, fs.Read(s_root, node, handle, offset, buffer, out var n));
        return buffer[..n];
    }

    [Fact]
    public void Fallocate_PunchAndZeroRange_Work_OtherModesGiveEOPNOTSUPP()
    {
        using var volume = ArgosVolume.Open(_pool.Images);
        var fs = new VolumeFileSystem(volume, new MountSettings());
        var (node, handle) = CreateFile(fs, "f", O_RDWR);
        var s = (ulong)volume.StripeDataBytes;
        var data = CliPool.Random((int)(3 * s), 1);
        Assert.Equal(Errno.None, fs.Write(s_root, node, handle, 0, data, default, O_RDWR, out _));

        foreach (var mode in new[] { PunchHole, CollapseRange, InsertRange, UnshareRange, CollapseRange | KeepSize, PunchHole | ZeroRange | KeepSize, 0x80 })
        {
            Assert.True(fs.Fallocate(s_root, node, handle, 0, 4096, mode) == Errno.EOPNOTSUPP, $"mode 0x{mode:x}");
        }
        Assert.Equal(data, Read(fs, node, handle, 0, data.Length));

        Assert.Equal(Errno.None, fs.Fallocate(s_root, node, handle, 100, 2 * s, PunchHole | KeepSize));
        var back = Read(fs, node, handle, 0, data.Length);
        Assert.Equal(data[..100], back[..100]);
        Assert.All(back[100..(int)(2 * s + 100)], b => Assert.Equal(0, b));
        Assert.Equal(data[(int)(2 * s + 100)..], back[(int)(2 * s + 100)..]);
        Assert.Equal(Errno.None, fs.GetAttr(s_root, node, handle, out var attr));
        Assert.Equal(3 * s, attr.Attr.Size);
        Assert.Equal((2 * s + 511) / 512, attr.Attr.Blocks); // stripe 1 released: two stripes left

        Assert.Equal(Errno.None, fs.Fallocate(s_root, node, handle, 3 * s - 10, 100, ZeroRange | KeepSize));
        Assert.Equal(Errno.None, fs.GetAttr(s_root, node, handle, out attr));
        Assert.Equal(3 * s, attr.Attr.Size);
        Assert.Equal(Errno.None, fs.Fallocate(s_root, node, handle, 3 * s - 10, 100, ZeroRange));
        Assert.Equal(Errno.None, fs.GetAttr(s_root, node, handle, out attr));
        Assert.Equal(3 * s + 90, attr.Attr.Size);
        Assert.All(Read(fs, node, handle, 3 * s - 10, 100), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Fallocate_ReadOnlyHandleGivesEBADF_ReadOnlyMountGivesEROFS()
    {
        NodeId node;
        using (var volume = ArgosVolume.Open(_pool.Images))
        {
            var fs = new VolumeFileSystem(volume, new MountSettings());
            FileHandle handle;
            (node, handle) = CreateFile(fs, "f", O_RDWR);
            Assert.Equal(Errno.None, fs.Write(s_root, node, handle, 0, CliPool.Random(10_000, 2), default, O_RDWR, out _));
            Assert.Equal(Errno.None, fs.Open(s_root, node, new FuseOpenRequest(O_RDONLY, 0, 0, false), out var reader));
            Assert.Equal(Errno.EBADF, fs.Fallocate(s_root, node, reader.Handle, 0, 100, PunchHole | KeepSize));
            Assert.Equal(Errno.EBADF, fs.Fallocate(s_root, node, reader.Handle, 0, 100, ZeroRange));
        }
        using (var volume = ArgosVolume.Open(_pool.Images, new VolumeOpenOptions { ReadOnly = true }))
        {
            var fs = new VolumeFileSystem(volume, new MountSettings { ReadOnly = true });
            Assert.Equal(Errno.EROFS, fs.Fallocate(s_root, node, new FileHandle(99), 0, 100, PunchHole | KeepSize));
            Assert.Equal(Errno.EROFS, fs.Fallocate(s_root, node, new FileHandle(99), 0, 100, ZeroRange | KeepSize));
        }
    }
}
