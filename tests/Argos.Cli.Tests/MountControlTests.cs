using Argos.Format;
using Argos.Metadata.Namespace.Encoding;
using Argos.Volume;
using Xunit;

namespace Argos.Cli.Tests;

/// <summary>
/// fsck, scrub and inspect-pool on a mounted pool: the mount daemon holds the members exclusively,
/// so the commands reach it through its control channel (src/argosfs/Argos.Cli/Control) and it runs
/// them on its open volume. A real `argosfs mount` of image files, a shard corrupted on disk under
/// the running daemon.
/// </summary>
[Trait("Requires", "root")]
public sealed class MountControlTests : IDisposable
{
    private readonly string _work = Path.Combine("/tmp", "argos-control-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _mnt;

    public MountControlTests()
    {
        Directory.CreateDirectory(_work);
        _mnt = Path.Combine(_work, "mnt");
        Directory.CreateDirectory(_mnt);
    }

    public void Dispose()
    {
        Shell.Run($"mountpoint -q '{_mnt}' && umount '{_mnt}'; sleep 0.2; mountpoint -q '{_mnt}' && umount -l '{_mnt}'; rm -rf '{_work}'", check: false);
    }

    private static (ShardLocation Shard, string Member) FirstDataShard(string images, string path)
    {
        using var v = ArgosVolume.Open(images.Split(','), new VolumeOpenOptions { ReadOnly = true });
        var ino = Argos.Volume.Tree.PoolPath.Resolve(v, path);
        var stripes = new List<KeyValuePair<StripeIndex, StripeRecord>>();
        v.Namespace.GetStripes(ino, new StripeIndex(0), 1, stripes);
        var shard = stripes[0].Value.Shards.Span[0];
        return (shard, v.Info.Members.Single(m => m.Index.Value == shard.Member).Path!);
    }

    [Fact]
    public void MountedPool_ScrubRepairsThroughTheDaemon_FsckAndInspectToo_OthersRefused()
    {
        Assert.True(Shell.IsRoot, "this test needs root (FUSE mount)");
        var images = string.Join(',', new[] { "a", "b", "c" }.Select(x => Path.Combine(_work, x + ".img")));
        string[] pool = ["--images", images];
        ArgosCli.Ok(["mkfs", .. pool, "--k", "2", "--m", "1", "--image-size", "64MiB", "--compression", "none"]);
        var data = new byte[1_000_000];
        new Random(7).NextBytes(data);
        var local = Path.Combine(_work, "data.bin");
        File.WriteAllBytes(local, data);
        ArgosCli.Ok(["put", .. pool, local, "/data.bin"]);
        ArgosCli.Ok(["put", .. pool, local, "/other.bin"]);

        // Where is shard 0 of stripe 0? (read before the mount, which holds the members exclusively)
        var (shard, member) = FirstDataShard(images, "/data.bin");
        var (otherShard, otherMember) = FirstDataShard(images, "/other.bin");

        ArgosCli.Ok(["mount", .. pool, _mnt]);
        Assert.Equal("fuse.argosfs", Shell.Run($"findmnt -n -o FSTYPE '{_mnt}'").Trim());

        // Opening the members directly is impossible now; inspect-pool answers through the daemon.
        var status = ArgosCli.Ok(["inspect-pool", .. pool, "--json"]).Json;
        Assert.Equal(_mnt, status["daemon"]!["mount_point"]!.GetValue<string>());
        Assert.False(status["degraded"]!.GetValue<bool>());

        // Corrupt the shard under the running daemon; a scrub through the daemon finds and repairs it.
        // (dd: no flock; .NET's FileStream would respect the daemon's exclusive lock)
        Shell.Run($"head -c 64 /dev/urandom | dd of='{member}' bs=1 seek={(long)shard.OffsetBytes + 4096} conv=notrunc status=none");
        var scrub = ArgosCli.Run(["scrub", .. pool, "--json"]);
        Assert.True(scrub.ExitCode == 0, scrub.Stdout + scrub.Stderr);
        Assert.Contains("mount daemon pid", scrub.Json["via"]!.GetValue<string>());
        Assert.Equal(1, scrub.Json["corrupt_shards"]!.GetValue<int>());
        Assert.Equal(1, scrub.Json["repaired_shards"]!.GetValue<int>());

        var fsck = ArgosCli.Ok(["fsck", .. pool, "--full", "--json"]).Json;
        Assert.Equal(0, fsck["corrupt_shards"]!.GetValue<int>());
        Assert.True(fsck["ok"]!.GetValue<bool>());
        var last = ArgosCli.Ok(["inspect-pool", .. pool, "--json"]).Json["daemon"]!["last_maintenance"]!;
        Assert.Equal("fsck", last["op"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(data)),
            Shell.Run($"sha256sum '{_mnt}/data.bin' | cut -d' ' -f1").Trim().ToUpperInvariant());

        // The autopilot, as its systemd unit runs it: the first round finds no scrub on record and
        // scrubs through the daemon; the next one has nothing to do; a corrupted shard read by a
        // client raises the daemon's error count, and the round after that scrubs again.
        var state = Path.Combine(_work, "autopilot.json");
        var first = ArgosCli.Run(["autopilot", .. pool, "--once", "--state", state]);
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        Assert.Contains("autopilot: scrub: ", first.Stdout);
        Assert.Contains("no scrub on record", first.Stdout);
        Assert.Contains("0 corrupt shards", first.Stdout);
        var second = ArgosCli.Run(["autopilot", .. pool, "--once", "--state", state]);
        Assert.Contains("autopilot: healthy, nothing to do", second.Stdout);
        Shell.Run($"head -c 64 /dev/urandom | dd of='{otherMember}' bs=1 seek={(long)otherShard.OffsetBytes + 8192} conv=notrunc status=none");
        // a first read of the file through the mount: served from parity, the bad shard is counted
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(data)),
            Shell.Run($"sha256sum '{_mnt}/other.bin' | cut -d' ' -f1").Trim().ToUpperInvariant());
        var third = ArgosCli.Run(["autopilot", .. pool, "--once", "--state", state, "--json"]);
        Assert.True(third.ExitCode == 0, third.Stdout + third.Stderr);
        Assert.Contains("new shard error(s)", third.Stderr);
        Assert.Equal(1, third.Json["actions"]![0]!["result"]!["repaired_shards"]!.GetValue<int>());

        // Snapshots of the live pool go through the daemon too; a duplicate name is refused with the fix.
        var snap = ArgosCli.Ok(["snapshot", "create", .. pool, "before-upgrade", "--json"]).Json;
        Assert.Equal("before-upgrade", snap["name"]!.GetValue<string>());
        var duplicate = ArgosCli.Run(["snapshot", "create", .. pool, "before-upgrade"]);
        Assert.Equal(1, duplicate.ExitCode);
        Assert.Contains("already exists", duplicate.Stderr);
        Assert.Single(ArgosCli.Ok(["snapshot", "list", .. pool, "--json"]).Json.AsArray());
        File.WriteAllText(Path.Combine(_mnt, "data.bin"), "rewritten after the snapshot\n");

        // What cannot be done on a live pool says so and what to do instead.
        var orphans = ArgosCli.Run(["fsck", .. pool, "--remove-orphans"]);
        Assert.Equal(2, orphans.ExitCode);
        Assert.Contains("unmount it first", orphans.Stderr);
        // Another user who may read the members (as a 'disk' group member may read block devices)
        // reaches the socket, but the daemon refuses it, naming the fix.
        Shell.Run($"chmod 0755 '{_work}' && chmod 0644 {images.Replace(',', ' ')}");
        var user = Shell.Run($"cd /tmp && setpriv --reuid 65534 --regid 65534 --clear-groups env DOTNET_CLI_HOME=/tmp HOME=/tmp dotnet '{ArgosCli.DllPath}' inspect-pool --images '{images}' 2>&1; echo \"exit=$?\"", check: false);
        Assert.Contains("may not control this mount; run as root", user);
        Assert.Contains("exit=1", user);

        Shell.Run($"umount '{_mnt}'");
        // The daemon flushes and exits at unmount; then the members open directly again.
        var clean = false;
        for (var i = 0; i < 100 && !clean; i++)
        {
            Thread.Sleep(100);
            var scan = ArgosCli.Run(["scan", .. pool, "--json"]);
            clean = scan.ExitCode == 0 && scan.Json.AsArray().All(m => m!["clean"]!.GetValue<bool>());
        }
        Assert.True(clean, "the pool is not clean 10 s after the unmount");
        var offline = ArgosCli.Ok(["fsck", .. pool, "--full", "--json"]).Json;
        Assert.True(offline["ok"]!.GetValue<bool>());
        Assert.Null(offline["via"]);
        // unmounted, the autopilot opens the members itself
        var offlinePilot = ArgosCli.Run(["autopilot", .. pool, "--once", "--state", Path.Combine(_work, "offline.json")]);
        Assert.True(offlinePilot.ExitCode == 0, offlinePilot.Stdout + offlinePilot.Stderr);
        Assert.Contains("no scrub on record", offlinePilot.Stdout);
        Assert.Contains("0 unrecoverable", offlinePilot.Stdout);
        // the snapshot taken through the daemon holds the data as it was
        var frozen = ArgosCli.Ok(["cat", .. pool, "--snapshot", "before-upgrade", "/data.bin"]).StdoutBytes;
        Assert.Equal(data, frozen);
        Assert.Equal("rewritten after the snapshot\n", ArgosCli.Ok(["cat", .. pool, "/data.bin"]).Stdout);
        Assert.True(ArgosCli.Ok(["snapshot", "delete", .. pool, "before-upgrade", "--json"]).Json["freed_bytes"]!.GetValue<long>() > 0);
    }
}
