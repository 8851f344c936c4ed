using Xunit;

namespace Argos.Cli.Tests;

/// <summary>
/// The issue's "done when" for import/export, on a real tree: a slice of this machine (/etc,
/// /usr/bin/[a-c]*, /usr/lib/x86_64-linux-gnu/lib[a-c]*, /usr/share/doc/[a-d]*) plus every inode
/// type and attribute kind a root file system holds, imported into a 2+1 zstd pool of three image
/// files with `argosfs import-tree`, exported with `argosfs export-tree`, and compared with
/// `rsync -naHAXc --itemize-changes` and a nanosecond lstat walk; then shards of several files are
/// corrupted (fsck --full reports them, --repair fixes them, a second --full is clean), the pool is
/// encrypted (export without the key fails with EACCES, with it is identical), and the export runs
/// once more from two members after the third image is deleted.
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

        // Corrupt shards of several real files: a full fsck finds every one, --repair rebuilds them
        // from the survivors, and a second full fsck is clean.
        var flipped = FlipShardsOfRealFiles(images, src, count: 4);
        var metadataOnly = ArgosCli.Run(["fsck", .. pool, "--json"]);
        Assert.Equal(0, metadataOnly.ExitCode);
        var full = ArgosCli.Run(["fsck", .. pool, "--full", "--json"]);
        Assert.Equal(1, full.ExitCode);
        Assert.Equal(flipped, full.Json["corrupt_shards"]!.GetValue<int>());
        var repair = ArgosCli.Run(["fsck", .. pool, "--full", "--repair", "--json"]);
        Assert.True(repair.ExitCode == 0, repair.Stdout + repair.Stderr);
        Assert.Equal(flipped, repair.Json["repaired_shards"]!.GetValue<int>());
        Assert.Empty(repair.Json["unrecoverable"]!.AsArray());
        var again = ArgosCli.Ok(["fsck", .. pool, "--full", "--json"]).Json;
        Assert.Equal(0, again["corrupt_shards"]!.GetValue<int>());
        Assert.True(again["ok"]!.GetValue<bool>());
        var afterRepair = Path.Combine(_work, "dst-repaired");
        ArgosCli.Ok(["export-tree", .. pool, afterRepair]);
        AssertIdentical(src, afterRepair);

        // Encrypt everything: without the key the export fails with EACCES and says how to give
        // one; with the key it is identical.
        var key = Path.Combine(_work, "key");
        File.WriteAllText(key, "tree round trip passphrase");
        ArgosCli.Ok(["enable-encryption", .. pool, "--key-file", key, "--reencrypt", "--kdf-ops", "1", "--kdf-memory", "8KiB"]);
        Assert.Equal(0, ArgosCli.Ok(["encryption-status", .. pool, "--key-file", key, "--json"]).Json["plaintext_stripes"]!.GetValue<long>());
        var locked = ArgosCli.Run(["export-tree", .. pool, Path.Combine(_work, "dst-nokey")]);
        Assert.NotEqual(0, locked.ExitCode);
        Assert.Contains("EACCES", locked.Stderr);
        Assert.Contains("key", locked.Stderr);
        var unlocked = Path.Combine(_work, "dst-key");
        ArgosCli.Ok(["export-tree", .. pool, "--key-file", key, unlocked]);
        AssertIdentical(src, unlocked);

        // Lose a member: the export from the two that remain is identical too.
        File.Delete(Path.Combine(_work, "c.img"));
        var degraded = string.Join(',', new[] { "a", "b" }.Select(x => Path.Combine(_work, x + ".img")));
        var dst2 = Path.Combine(_work, "dst2");
        ArgosCli.Ok(["export-tree", "--images", degraded, "--key-file", key, dst2]);
        AssertIdentical(src, dst2);
    }

    /// <summary>
    /// Inverts 16 bytes inside one shard of each of the first <paramref name="count"/> erasure-coded
    /// files under usr/bin (a different shard index each time, parity included), in the closed
    /// pool's image files. Returns how many shards were damaged.
    /// </summary>
    private static int FlipShardsOfRealFiles(string imageList, string src, int count)
    {
        var targets = new List<Argos.Metadata.Namespace.Encoding.ShardLocation>();
        Dictionary<int, string> paths;
        using (var v = Argos.Volume.ArgosVolume.Open(imageList.Split(','), new Argos.Volume.VolumeOpenOptions { ReadOnly = true }))
        {
            paths = v.Info.Members.Where(m => m.Path is not null).ToDictionary(m => m.Index.Value, m => m.Path!);
            var files = Directory.EnumerateFiles(Path.Combine(src, "usr/bin"))
                .Where(f => !new FileInfo(f).Attributes.HasFlag(FileAttributes.ReparsePoint) && new FileInfo(f).Length > 256 * 1024)
                .Order(StringComparer.Ordinal)
                .ToList();
            foreach (var f in files)
            {
                var ino = Argos.Volume.Tree.PoolPath.Resolve(v, "/usr/bin/" + Path.GetFileName(f));
                var stripes = new List<KeyValuePair<Argos.Format.StripeIndex, Argos.Metadata.Namespace.Encoding.StripeRecord>>();
                v.Namespace.GetStripes(ino, new Argos.Format.StripeIndex(0), int.MaxValue, stripes);
                if (stripes.Count == 0 || stripes[0].Value.Shards.Length < 3)
                {
                    continue; // inline or replicated: not what this check is about
                }
                var shards = stripes[0].Value.Shards.Span;
                targets.Add(shards[targets.Count % shards.Length]);
                if (targets.Count == count)
                {
                    break;
                }
            }
        }
        Assert.True(targets.Count == count, $"found only {targets.Count} erasure-coded files over 256 KiB under usr/bin");
        foreach (var shard in targets)
        {
            using var image = new FileStream(paths[shard.Member], FileMode.Open, FileAccess.ReadWrite);
            var buffer = new byte[16];
            image.Position = (long)shard.OffsetBytes + 100;
            image.ReadExactly(buffer);
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] ^= 0xFF;
            }
            image.Position = (long)shard.OffsetBytes + 100;
            image.Write(buffer);
        }
        return targets.Count;
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
