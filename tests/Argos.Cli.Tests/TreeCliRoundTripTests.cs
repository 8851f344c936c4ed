using Xunit;

namespace Argos.Cli.Tests;

/// <summary>
/// The issue's "done when" for import/export, on a real tree: a slice of this machine (/etc,
/// /usr/bin/[a-c]*, /usr/lib/x86_64-linux-gnu/lib[a-c]*, /usr/share/doc/[a-d]*) plus every inode
/// type and attribute kind a root file system holds, imported into a 2+1 zstd pool of three image
/// files with `argosfs import-tree`, exported with `argosfs export-tree`, and compared with
/// `rsync -naHAXc --itemize-changes` and a nanosecond lstat walk; then once more from two members
/// after the third image is deleted.
/// </summary>
[Trait("Requires", "root")]
public sealed class TreeCliRoundTripTests : IDisposable
{
    private readonly string _work = Path.Combine("/tmp", "argos-treecli-" + Guid.NewGuid().ToString("N")[..8]);

    public TreeCliRoundTripTests()
    {
        Directory.CreateDirectory(_work);
    }

    public void Dispose()
    {
        Shell.Run($"rm -rf '{_work}'", check: false);
    }

    private string BuildSource()
    {
        var src = Path.Combine(_work, "src");
        Shell.Run($"""
            set -e
            mkdir -p {src}/usr/bin {src}/usr/lib/x86_64-linux-gnu {src}/usr/share/doc {src}/special {src}/holes
            cp -a /etc {src}/
            cp -a /usr/bin/[a-c]* {src}/usr/bin/
            cp -a /usr/lib/x86_64-linux-gnu/lib[a-c]* {src}/usr/lib/x86_64-linux-gnu/
            cp -a /usr/share/doc/[a-d]* {src}/usr/share/doc/
            cd {src}/special
            mknod null c 1 3; mknod loop7 b 7 7; mknod wide c 240 300000; mkfifo initctl
            python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.bind("daemon.sock")'
            printf 'three links\n' > tri; ln tri tri.2; ln tri ../usr/tri.3
            ln null null.hard
            ln -s ../etc/hostname rel; ln -s /nonexistent/target dangling
            cp /usr/bin/true suid; chmod 4755 suid
            cp /usr/bin/true sgid; chmod 2711 sgid
            mkdir sgiddir stickydir; chmod 2775 sgiddir; chmod 1777 stickydir
            cp /usr/bin/true ping; setcap cap_net_raw+ep ping
            setfattr -n trusted.argos.test -v 0xdeadbeef tri
            setfattr -n user.mime_type -v text/plain tri
            setfattr -n user.dir -v yes sgiddir
            mkdir acl; setfacl -m u:1234:rwx,g:4321:r-x,m::rwx acl; setfacl -d -m u:1234:rwx,o::--- acl
            touch acl/inherited; setfacl -m u:99:r-- tri
            chown 1000:1000 tri; chown -h 4242:4343 rel
            printf 'ns\n' > ns; touch -d '2001-02-03 04:05:06.123456789' ns
            touch -h -d '1999-12-31 23:59:59.999999999' rel
            cd {src}/holes
            truncate -s 1G sparse.img
            printf 'head' | dd of=sparse.img conv=notrunc status=none
            printf 'tail' | dd of=sparse.img bs=1 seek=$((700*1024*1024)) conv=notrunc status=none
            """);
        return src;
    }

    [Fact]
    public void ImportExport_RealTree_IsIdentical_AlsoFromTwoOfThreeMembers()
    {
        Assert.True(Shell.IsRoot, "this test needs root (mknod, setcap, trusted.* xattrs)");
        var src = BuildSource();
        var images = string.Join(',', new[] { "a", "b", "c" }.Select(x => Path.Combine(_work, x + ".img")));
        string[] pool = ["--images", images];
        ArgosCli.Ok(["mkfs", .. pool, "--k", "2", "--m", "1", "--compression", "zstd", "--image-size", "512MiB"]);

        // Everything but the sparse file, then the sparse file on its own to see what it costs.
        var first = ArgosCli.Ok(["import-tree", .. pool, src, "/", "--exclude", "holes/sparse.img", "--json"]).Json;
        Assert.Empty(first["skipped"]!.AsArray());
        Assert.True(first["entries"]!.GetValue<long>() > 2000, $"expected a few thousand entries, got {first["entries"]}");
        Assert.True(first["hard_links"]!.GetValue<long>() >= 3);
        Assert.True(first["commits"]!.GetValue<long>() > 1, "commits are batched, not one per file and not just one");
        Assert.True(first["commits"]!.GetValue<long>() < first["entries"]!.GetValue<long>() / 100);
        var usedBefore = ArgosCli.UsedBytes(pool);
        ArgosCli.Ok(["import-tree", .. pool, Path.Combine(src, "holes"), "/holes"]);
        var sparseCost = ArgosCli.UsedBytes(pool) - usedBefore;
        // Stored as data, 1 GiB of zeros would be 2048 stripes of 3 shards (≥ 24 MiB even compressed).
        Assert.True(sparseCost < 8L << 20, $"the 1 GiB sparse file with 8 bytes of data cost {sparseCost} bytes in the pool");

        var stat = ArgosCli.Ok(["stat", .. pool, "/special/tri"]).Json;
        Assert.Equal(3, stat["nlink"]!.GetValue<int>());
        Assert.Contains("trusted.argos.test", stat["xattrs"]!.AsArray().Select(x => x!.GetValue<string>()));
        var null_ = ArgosCli.Ok(["stat", .. pool, "/special/null"]).Json;
        Assert.Equal((1, 3), (null_["rdev_major"]!.GetValue<int>(), null_["rdev_minor"]!.GetValue<int>()));
        Assert.Equal("2001-02-03T04:05:06.123456789Z", ArgosCli.Ok(["stat", .. pool, "/special/ns"]).Json["mtime"]!.GetValue<string>());

        var dst = Path.Combine(_work, "dst");
        ArgosCli.Ok(["export-tree", .. pool, dst]);
        AssertIdentical(src, dst);

        // Lose a member: the export from the two that remain is identical too.
        File.Delete(Path.Combine(_work, "c.img"));
        var degraded = string.Join(',', new[] { "a", "b" }.Select(x => Path.Combine(_work, x + ".img")));
        var dst2 = Path.Combine(_work, "dst2");
        ArgosCli.Ok(["export-tree", "--images", degraded, dst2]);
        AssertIdentical(src, dst2);
    }

    private static void AssertIdentical(string src, string dst)
    {
        Assert.Equal("", Shell.RsyncDiff(src, dst));
        Assert.Empty(Shell.WalkDiff(src, dst));
        // stat(1)'s view of nanosecond mtimes, on files, symlinks and directories.
        foreach (var rel in new[] { "special/ns", "special/rel", "special", "etc/passwd", "usr/bin" })
        {
            Assert.Equal(Shell.Run($"stat -c %y '{src}/{rel}'"), Shell.Run($"stat -c %y '{dst}/{rel}'"));
        }
        Assert.Equal(Shell.Run($"getcap '{src}/special/ping'").Replace(src, ""), Shell.Run($"getcap '{dst}/special/ping'").Replace(dst, ""));
        Assert.Equal(Shell.Run($"getfacl -n '{src}/special/acl/inherited' | tail -n +2"), Shell.Run($"getfacl -n '{dst}/special/acl/inherited' | tail -n +2"));
        var du = long.Parse(Shell.Run($"du -k '{dst}/holes/sparse.img' | cut -f1").Trim());
        Assert.True(du < 4096, $"the exported sparse file occupies {du} KiB; holes must stay holes");
        Assert.Equal("same\n", Shell.Run($"cmp '{src}/holes/sparse.img' '{dst}/holes/sparse.img' && echo same"));
    }
}
