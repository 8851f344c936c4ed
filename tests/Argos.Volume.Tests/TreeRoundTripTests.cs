using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Argos.Volume.Tree;
using Xunit;

namespace Argos.Volume.Tests;

/// <summary>Import a small tree holding every inode type and attribute kind, export it, compare.</summary>
[Trait("Requires", "root")]
public sealed class TreeRoundTripTests : IDisposable
{
    private readonly string _work = Path.Combine("/tmp", "argos-tree-" + Guid.NewGuid().ToString("N")[..8]);

    public TreeRoundTripTests()
    {
        Directory.CreateDirectory(_work);
    }

    public void Dispose()
    {
        // rm, not Directory.Delete: .NET cannot name the non-UTF-8 files these tests create.
        TreeShell.Run($"rm -rf '{_work}'", check: false);
    }

    private static VolumeOpenOptions Batched => new() { CommitMaxTransactions = int.MaxValue };

    private string BuildSource()
    {
        var src = Path.Combine(_work, "src");
        TreeShell.Run($"""
            set -e
            mkdir -p {src}/dir/sub {src}/sgid {src}/sticky {src}/acl
            cd {src}
            printf 'hello\n' > small
            printf 'latin1 name\n' > $'caf\xe9'
            head -c 3000 /dev/urandom > inline-edge
            head -c 1300000 /dev/urandom > big
            head -c 40000 /dev/zero > zeros
            ln big big.link1; ln big dir/big.link2
            ln small dir/sub/small.link
            ln -s small sym; ln -s /nonexistent/dangling dangling; ln -s dir dirlink
            ln sym sym.hard
            mknod chr c 1 3; mknod blk b 7 200; mknod bigminor c 240 300000; mkfifo fifo
            python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.bind("sock")'
            cp small suid; chmod 4755 suid; cp small sgidf; chmod 2755 sgidf
            chmod 2775 sgid; chmod 1777 sticky
            cp /bin/true cap; setcap cap_net_raw+ep cap
            setfattr -n user.color -v blue small
            setfattr -n trusted.argos -v 0x00ff00 small
            setfattr -n user.empty dir
            setfacl -m u:1234:rwx,g:42:r-x acl
            setfacl -d -m u:1234:rwx acl
            touch acl/inherits
            setfacl -m u:99:r small
            chown 1000:1000 dir/sub; chown -h 4321:8765 sym
            truncate -s 1G sparse; printf 'tail' | dd of=sparse bs=1 seek=$((512*1024*1024)) conv=notrunc status=none
            printf 'head' | dd of=sparse conv=notrunc status=none
            touch -d '2001-02-03 04:05:06.123456789' small
            touch -h -d '1999-12-31 23:59:59.999999999' sym
            touch -d '2010-01-01 00:00:00.5' dir/sub
            """);
        return src;
    }

    [Fact]
    public void ImportThenExport_EveryInodeTypeAndAttribute_IsIdentical()
    {
        Assert.True(TreeShell.IsRoot, "this test needs root (mknod, setcap, trusted.*)");
        var src = BuildSource();
        using var pool = new TempPool();
        TreeCopyResult imported;
        long usedBefore, usedAfter;
        using (var v = ArgosVolume.Open(pool.Images, Batched))
        {
            usedBefore = v.Info.Members.Sum(m => m.UsedBytes);
            imported = new TreeImporter(v, new TreeImportOptions { BatchEntries = 7 }).Import(src);
            usedAfter = v.Info.Members.Sum(m => m.UsedBytes);

            var big = v.Namespace.Resolve("/big"u8);
            Assert.Equal(3u, v.GetAttr(big).Nlink);
            var cap = v.Namespace.Resolve("/cap"u8);
            Assert.Contains(v.Namespace.ListXattr(cap, Credentials.Root), n => n.Span.SequenceEqual("security.capability"u8));
            var chr = v.GetAttr(v.Namespace.Resolve("/chr"u8));
            Assert.Equal((1u, 3u), (DeviceNumber.Major(chr.Rdev), DeviceNumber.Minor(chr.Rdev)));
            var small = v.GetAttr(v.Namespace.Resolve("/small"u8));
            Assert.Equal(new Timespec(981173106, 123456789), small.Mtime);
        }
        Assert.Empty(imported.Skipped);
        Assert.Equal(4, imported.HardLinks); // big ×2 extra names, small ×1, sym.hard ×1
        Assert.True(imported.Commits > 3, $"batched commits expected, got {imported.Commits}");
        // 1 GiB sparse file with 8 bytes of data: a couple of stripes at most, not a gigabyte.
        var sparseCost = usedAfter - usedBefore;
        Assert.True(sparseCost < 32L << 20, $"import used {sparseCost} bytes; holes must cost nothing");

        var dst = Path.Combine(_work, "dst");
        using (var v = pool.Open(readOnly: true))
        {
            var exported = new TreeExporter(v).Export(dst);
            Assert.Equal(imported.Files, exported.Files);
            Assert.Equal(imported.HardLinks, exported.HardLinks);
        }
        Assert.Equal("", TreeShell.RsyncDiff(src, dst));
        Assert.Empty(TreeShell.WalkDiff(src, dst));
        var du = long.Parse(TreeShell.Run($"du -k {dst}/sparse | cut -f1").Trim());
        Assert.True(du < 8 * 1024, $"exported sparse file occupies {du} KiB");
        Assert.Equal(TreeShell.Run($"getfacl -n {src}/acl/inherits | tail -n +2"), TreeShell.Run($"getfacl -n {dst}/acl/inherits | tail -n +2"));
    }

    [Fact]
    public void Import_IntoExistingNonEmptyDestination_ClashingFile_FailsNamingPathAndFix()
    {
        Assert.True(TreeShell.IsRoot, "this test needs root");
        var src = Path.Combine(_work, "clash");
        TreeShell.Run($"mkdir -p {src}/etc && echo x > {src}/etc/passwd");
        using var pool = new TempPool();
        using var v = ArgosVolume.Open(pool.Images, Batched);
        v.Mutate(tx =>
        {
            var etc = v.Namespace.Mkdir(tx, InodeId.Root, "etc"u8, 0x1ED, Credentials.Root);
            v.Namespace.Create(tx, etc.Ino, "passwd"u8, 0x1A4, Credentials.Root);
        });
        var e = Assert.Throws<VolumeException>(() => new TreeImporter(v).Import(src));
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Contains("/etc/passwd", e.Message);
        Assert.Contains("argosfs rm", e.Message);
    }

    [Fact]
    public void Import_UnreadableFile_AbortsNamingItAndTheFix_OrIsListedWithSkipErrors()
    {
        Assert.True(TreeShell.IsRoot, "this test needs root (bind mounts)");
        var src = Path.Combine(_work, "unreadable");
        // Root reads any mode bits; a write-only sysfs attribute bound into the tree refuses even root (EACCES).
        TreeShell.Run($"mkdir -p {src} && echo ok > {src}/a && touch {src}/b && echo ok > {src}/c && mount --bind /sys/bus/pci/rescan {src}/b");
        try
        {
            using (var pool = new TempPool())
            using (var v = ArgosVolume.Open(pool.Images, Batched))
            {
                var e = Assert.Throws<VolumeException>(() => new TreeImporter(v).Import(src));
                Assert.Equal(Errno.EACCES, e.Errno);
                Assert.Contains($"'{src}/b'", e.Message);
                Assert.Contains("--skip-errors", e.Message);
            }
            using (var pool = new TempPool())
            using (var v = ArgosVolume.Open(pool.Images, Batched))
            {
                var result = new TreeImporter(v, new TreeImportOptions { SkipErrors = true }).Import(src);
                var skipped = Assert.Single(result.Skipped);
                Assert.StartsWith($"{src}/b:", skipped);
                Assert.Equal(2, result.Files);
                Assert.True(PoolPath.TryLookup(v, InodeId.Root, "c"u8, out _));
                Assert.False(PoolPath.TryLookup(v, InodeId.Root, "b"u8, out _));
            }
        }
        finally
        {
            TreeShell.Run($"umount {src}/b", check: false);
        }
    }

    [Fact]
    public void Import_SourceHoldingThePoolsOwnImages_LeavesThemOut()
    {
        using var pool = new TempPool();
        File.WriteAllText(Path.Combine(pool.Directory, "note"), "beside the images");
        using var v = ArgosVolume.Open(pool.Images, Batched);
        var result = new TreeImporter(v).Import(pool.Directory);
        Assert.Equal(3, result.Skipped.Count);
        Assert.All(result.Skipped, s => Assert.Contains("member image of this pool", s));
        Assert.Equal(1, result.Files);
        Assert.True(PoolPath.TryLookup(v, InodeId.Root, "note"u8, out _));
    }
}
