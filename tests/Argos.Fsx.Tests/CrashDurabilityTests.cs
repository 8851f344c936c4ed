using System.Security.Cryptography;
using Argos.Platform;
using Xunit;
using Xunit.Abstractions;

namespace Argos.Fsx.Tests;

/// <summary>
/// Durability through a real mount when the daemon dies by SIGKILL: what fsync (file and directory)
/// acknowledged survives, what the group commit wrote (interval, transaction count) survives without
/// fsync, nothing the metadata names is unreadable, and `argosfs fsck --full` is clean afterwards.
/// </summary>
[Trait("Requires", "root")]
[Collection(ArgosMountCollection.Name)]
public sealed class CrashDurabilityTests(ITestOutputHelper output)
{
    [Fact]
    public void KillDuringWrites_EveryFsyncedFileSurvives_AndFsckIsClean()
    {
        using var pool = new ArgosPool("crash");
        var rng = new Random(5);
        var synced = new Dictionary<string, string>(); // relative path -> sha256, over all rounds
        for (var round = 1; round <= 3; round++)
        {
            pool.Mount();
            VerifyAll(pool, synced, $"round {round}, after mounting");
            var dir = $"round-{round}";
            Assert.Equal(Errno.None, Posix.Mkdir(pool.PathOf(dir), 0x1ed /* 0755 */));
            for (var i = 0; i < 6; i++)
            {
                var rel = $"{dir}/synced-{i}";
                var data = RandomData(rng, rng.Next(1, 4) switch { 1 => rng.Next(1, 3000), 2 => rng.Next(3000, 600_000), _ => rng.Next(600_000, 3_000_000) });
                WriteFile(pool.PathOf(rel), data, 0, fsync: true, create: true);
                synced[rel] = Hash(data);
            }

            // A synced file overwritten in the middle and synced again: the second version must survive.
            var rewritten = $"{dir}/rewritten";
            var first = RandomData(rng, 1_500_000);
            WriteFile(pool.PathOf(rewritten), first, 0, fsync: true, create: true);
            var patch = RandomData(rng, 300_000);
            WriteFile(pool.PathOf(rewritten), patch, 400_000, fsync: true, create: false);
            patch.CopyTo(first, 400_000);
            synced[rewritten] = Hash(first);

            // A synced file renamed, then the directory synced: the new name must survive.
            WriteFile(pool.PathOf($"{dir}/before-rename"), first, 0, fsync: true, create: true);
            Assert.Equal(Errno.None, Posix.Rename(pool.PathOf($"{dir}/before-rename"), pool.PathOf($"{dir}/after-rename")));
            synced[$"{dir}/after-rename"] = Hash(first);

            FsyncPath(pool.PathOf(dir));
            FsyncPath(pool.MountPoint); // the new directory's own entry lives in the root

            // Writers that never fsync keep going while the daemon is killed under them.
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() => KeepWriting(pool.PathOf($"{dir}/unsynced-{w}"), w, stop.Token))).ToArray();
            Thread.Sleep(300 + rng.Next(700));
            pool.KillDaemon();
            stop.Cancel();
            var written = writers.Select(t => t.Wait(TimeSpan.FromSeconds(60)) ? t.Result : -1).ToArray();
            output.WriteLine($"round {round}: daemon killed after the unsynced writers wrote {string.Join(" and ", written)} bytes");

            pool.Mount();
            VerifyAll(pool, synced, $"round {round}, after kill -9 and remount");
            ReadEverything(pool.MountPoint); // nothing the metadata names may be unreadable, synced or not
            pool.Unmount();
            var fsck = pool.FsckFull();
            Assert.True(fsck.ExitCode == 0, $"round {round}: fsck --full after kill -9 and a clean remount: {fsck}");
        }
    }

    [Fact]
    public void GroupCommit_WithoutFsync_DataIsDurableOnceTheIntervalHasPassed()
    {
        using var pool = new ArgosPool("commit");
        pool.Mount(); // default group commit: 5 s / 128 transactions
        var rng = new Random(11);
        var closed = RandomData(rng, 2_000_000);
        WriteFile(pool.PathOf("closed"), closed, 0, fsync: false, create: true);
        var small = RandomData(rng, 700);
        WriteFile(pool.PathOf("small"), small, 0, fsync: false, create: true);
        Assert.Equal(Errno.None, Posix.Mkdir(pool.PathOf("dir"), 0x1ed /* 0755 */));
        WriteFile(pool.PathOf("dir/nested"), small, 0, fsync: false, create: true);

        // Still open at the kill: the daemon holds its data in its buffers until the interval flushes it.
        var open = RandomData(rng, 900_000);
        Assert.Equal(Errno.None, Posix.Open(pool.PathOf("open"), Posix.O_CREAT | Posix.O_WRONLY, 0x1a4 /* 0644 */, out var fd));
        Assert.Equal(Errno.None, Posix.PWrite(fd, open, 0));

        Thread.Sleep(TimeSpan.FromSeconds(5 + 4)); // the interval, plus one commit tick and slack for a loaded machine
        pool.KillDaemon();
        Posix.Close(fd);
        pool.Mount();
        VerifyAll(pool, new Dictionary<string, string>
        {
            ["closed"] = Hash(closed),
            ["small"] = Hash(small),
            ["dir/nested"] = Hash(small),
            ["open"] = Hash(open),
        }, "after kill -9 past the commit interval");
        pool.Unmount();
        var fsck = pool.FsckFull();
        Assert.True(fsck.ExitCode == 0, $"fsck --full: {fsck}");
    }

    [Fact]
    public void GroupCommit_WithoutFsync_TheTransactionLimitCommitsBeforeTheInterval()
    {
        // An interval of an hour: only the 128-transaction limit commits. Every file costs at least one
        // transaction, and transactions commit in order, so at most the last 127 files can be lost.
        using var pool = new ArgosPool("count", 512L << 20, "--commit-interval", "3600");
        pool.Mount();
        const int files = 300;
        var content = new byte[4096];
        for (var i = 0; i < files; i++)
        {
            content[0] = (byte)i;
            content[1] = (byte)(i >> 8);
            WriteFile(pool.PathOf($"f{i:D3}"), content, 0, fsync: false, create: true);
        }
        pool.KillDaemon();
        pool.Mount();
        var mustSurvive = files - 127;
        for (var i = 0; i < mustSurvive; i++)
        {
            content[0] = (byte)i;
            content[1] = (byte)(i >> 8);
            var path = pool.PathOf($"f{i:D3}");
            Assert.True(File.Exists(path), $"f{i:D3} is gone after kill -9: the transaction limit did not commit it");
            Assert.True(File.ReadAllBytes(path).AsSpan().SequenceEqual(content), $"f{i:D3} lost its content after kill -9");
        }
        var survived = Enumerable.Range(0, files).Count(i => File.Exists(pool.PathOf($"f{i:D3}")));
        output.WriteLine($"{survived} of {files} unsynced files survived kill -9 with a one-hour commit interval");
        pool.Unmount();
        var fsck = pool.FsckFull();
        Assert.True(fsck.ExitCode == 0, $"fsck --full: {fsck}");
    }

    [Fact]
    public void KillWithATailStripeBuffered_TheFileIsAPrefixOfWhatWasWritten_NeverZeros()
    {
        // 900,000 bytes in one write: stripe 0 (512 KiB) completes and is stored at once, the tail stays
        // buffered. An fsync of another file then commits the log. After kill -9 the unsynced file may be
        // shorter than written, but what it shows must be what was written: no size past stored data.
        using var pool = new ArgosPool("tail", 512L << 20, "--commit-interval", "3600");
        pool.Mount();
        var data = RandomData(new Random(3), 900_000);
        Assert.Equal(Errno.None, Posix.Open(pool.PathOf("tail"), Posix.O_CREAT | Posix.O_WRONLY, 0x1a4 /* 0644 */, out var fd));
        Assert.Equal(Errno.None, Posix.PWrite(fd, data, 0));
        WriteFile(pool.PathOf("other"), [1, 2, 3], 0, fsync: true, create: true);
        pool.KillDaemon();
        Posix.Close(fd);
        pool.Mount();
        var back = File.Exists(pool.PathOf("tail")) ? File.ReadAllBytes(pool.PathOf("tail")) : [];
        output.WriteLine($"after kill -9 the unsynced file holds {back.Length} of {data.Length} bytes");
        var same = back.AsSpan().CommonPrefixLength(data);
        Assert.True(same == back.Length, $"the unsynced file came back with {back.Length} bytes, but only the first {same} are what was written");
        pool.Unmount();
    }

    private static byte[] RandomData(Random rng, int length)
    {
        var data = new byte[length];
        rng.NextBytes(data);
        if (length > 8192) Array.Clear(data, length / 3, length / 4); // a compressible stretch too
        return data;
    }

    private static string Hash(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static void WriteFile(string path, byte[] data, long offset, bool fsync, bool create)
    {
        var flags = Posix.O_WRONLY | (create ? Posix.O_CREAT | Posix.O_TRUNC : 0);
        Assert.Equal(Errno.None, Posix.Open(path, flags, 0x1a4 /* 0644 */, out var fd));
        try
        {
            // In 128 KiB pieces, as cp does: many WRITE requests, stripes completed along the way.
            for (var done = 0; done < data.Length; done += 128 << 10)
            {
                var piece = data.AsSpan(done, Math.Min(128 << 10, data.Length - done));
                Assert.Equal(Errno.None, Posix.PWrite(fd, piece, offset + done));
            }
            if (fsync) Assert.Equal(Errno.None, Posix.FSync(fd));
        }
        finally
        {
            Posix.Close(fd);
        }
    }

    private static void FsyncPath(string path)
    {
        Assert.Equal(Errno.None, Posix.Open(path, Posix.O_RDONLY | Posix.O_DIRECTORY, 0, out var fd));
        try { Assert.Equal(Errno.None, Posix.FSync(fd)); }
        finally { Posix.Close(fd); }
    }

    /// <summary>Appends until the mount goes away (ENOTCONN once the daemon is dead) or it is told to stop; answers the bytes written.</summary>
    private static long KeepWriting(string path, int seed, CancellationToken stop)
    {
        if (Posix.Open(path, Posix.O_CREAT | Posix.O_WRONLY | Posix.O_APPEND, 0x1a4 /* 0644 */, out var fd) != Errno.None) return 0;
        var rng = new Random(seed);
        var chunk = new byte[200_000];
        long total = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                rng.NextBytes(chunk);
                if (Posix.Write(fd, chunk) != Errno.None) break;
                total += chunk.Length;
            }
        }
        finally
        {
            Posix.Close(fd);
        }
        return total;
    }

    private static void VerifyAll(ArgosPool pool, Dictionary<string, string> expected, string when)
    {
        foreach (var (rel, hash) in expected)
        {
            var path = pool.PathOf(rel);
            Assert.True(File.Exists(path), $"{when}: fsynced file {rel} is gone; daemon log: {pool.DaemonLog()}");
            var actual = TreeSnapshot.HashFile(path);
            Assert.True(actual == hash, $"{when}: fsynced file {rel} changed (sha256 {actual[..12]}, expected {hash[..12]}, size {new FileInfo(path).Length})");
        }
    }

    private static void ReadEverything(string root)
    {
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            try
            {
                TreeSnapshot.HashFile(file);
            }
            catch (IOException e)
            {
                Assert.Fail($"{file} cannot be read after the crash: {e.Message}");
            }
        }
    }
}
