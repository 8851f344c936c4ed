using System.Diagnostics;
using Argos.Metadata.Log;

namespace Argos.Storage.Tests;

public class MkfsTests
{
    [Fact]
    public void Invariant_I16_MkfsOverExt4_IsRefusedWithoutForce_AndLeavesBytesUnchanged()
    {
        using var dir = new TempDir();
        string img = Path.Combine(dir.Path, "ext4.img");
        using (var f = new FileStream(img, FileMode.CreateNew)) f.SetLength(64 * TempDir.MiB);
        var psi = new ProcessStartInfo("mkfs.ext4", ["-F", "-q", img]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using (Process p = Process.Start(psi)!)
        {
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
        }
        string[] others = dir.Images(2);
        string before = TempDir.Hash(img);
        var e = Assert.Throws<StorageException>(() =>
            PoolCreator.Create([img, .. others], new PoolCreateOptions { K = 2, M = 1, ImageSizeBytes = 64 * TempDir.MiB }));
        Assert.Equal("signature-found", e.Code);
        Assert.Contains("ext2/ext3/ext4", e.Message);
        Assert.Contains("use --force to overwrite", e.Message);
        Assert.Equal(before, TempDir.Hash(img));
        Assert.All(others, o => Assert.False(File.Exists(o))); // images mkfs created are removed again

        PoolCreator.Create([img, .. others], new PoolCreateOptions { K = 2, M = 1, ImageSizeBytes = 64 * TempDir.MiB, Force = true });
        Assert.All(MemberScanner.Scan([img, .. others]), s => Assert.True(s.Valid));
    }

    public static TheoryData<string, long, byte[], string> Signatures() => new()
    {
        { "xfs", 0, "XFSB"u8.ToArray(), "XFS" },
        { "btrfs", 0x10040, "_BHRfS_M"u8.ToArray(), "btrfs" },
        { "luks", 0, [0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE], "LUKS" },
        { "gpt", 512, "EFI PART"u8.ToArray(), "GPT" },
        { "lvm", 512, "LABELONE"u8.ToArray(), "LVM" },
        { "md", 4096, [0xFC, 0x4E, 0x2B, 0xA9], "md RAID" },
        { "swap", 4086, "SWAPSPACE2"u8.ToArray(), "swap" },
        { "squashfs", 0, "hsqs"u8.ToArray(), "squashfs" },
        { "argosfs", 4096, "ARGOSFS1"u8.ToArray(), "argosfs" },
        { "data-head", 123456, [1], "non-zero data in the first MiB" },
        { "data-tail", 64 * TempDir.MiB - 10, [1], "non-zero data in the last MiB" },
        { "md-tail", 64 * TempDir.MiB - 8192, [0xFC, 0x4E, 0x2B, 0xA9], "md RAID" },
    };

    [Theory]
    [MemberData(nameof(Signatures))]
    public void Invariant_I16_KnownSignatures_AreRefusedByName(string name, long offset, byte[] magic, string expected)
    {
        using var dir = new TempDir();
        string img = Path.Combine(dir.Path, name + ".img");
        using (var f = new FileStream(img, FileMode.CreateNew)) f.SetLength(64 * TempDir.MiB);
        TempDir.Patch(img, offset, magic);
        string before = TempDir.Hash(img);
        var e = Assert.Throws<StorageException>(() => PoolCreator.Create([img], new PoolCreateOptions { K = 1, M = 0 }));
        Assert.Contains(expected, e.Message);
        Assert.Contains("use --force", e.Message);
        Assert.Equal(before, TempDir.Hash(img));
    }

    [Fact]
    public void Invariant_I16_MbrWithPartitions_IsRefused_ButBootSignatureAloneIsJustData()
    {
        using var dir = new TempDir();
        string img = Path.Combine(dir.Path, "mbr.img");
        using (var f = new FileStream(img, FileMode.CreateNew)) f.SetLength(64 * TempDir.MiB);
        TempDir.Patch(img, 510, [0x55, 0xAA]);
        TempDir.Patch(img, 446 + 4, [0x83]);
        var e = Assert.Throws<StorageException>(() => PoolCreator.Create([img], new PoolCreateOptions()));
        Assert.Contains("MBR partition table", e.Message);
    }

    [Fact]
    public void Mkfs_MissingImageWithoutSize_SaysHowToCreateIt()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<StorageException>(() => PoolCreator.Create(dir.Images(1), new PoolCreateOptions()));
        Assert.Contains("pass --image-size", e.Message);
    }
}
