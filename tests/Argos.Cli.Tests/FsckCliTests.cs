using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Metadata.Namespace.Encoding;
using Argos.Platform;
using Argos.Volume;
using Xunit;

namespace Argos.Cli.Tests;

/// <summary>Runs the built argosfs.dll (src/argosfs/Argos.Cli/bin/Debug/net9.0) on real image files.</summary>
internal static class FsckCli
{
    private static readonly Lazy<string> s_dll = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Argos.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("Argos.sln not found above " + AppContext.BaseDirectory);
        var dll = Path.Combine(dir.FullName, "src", "argosfs", "Argos.Cli", "bin", "Debug", "net9.0", "argosfs.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} is missing; run 'dotnet build src/argosfs/Argos.Cli' first");
        return dll;
    });

    public sealed record Result(int Exit, string Stdout, string Stderr)
    {
        public JsonNode Json => JsonNode.Parse(Stdout) ?? throw new InvalidOperationException("no JSON on stdout: " + Stderr);
    }

    public static Result Run(string? stdin, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(s_dll.Value);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment.Remove("ARGOSFS_KEY");
        info.Environment.Remove("ARGOSFS_KEY_FILE");
        using var p = Process.Start(info)!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("argosfs " + string.Join(' ', args) + " did not finish in 120 s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>A pool of three (or more) 64 MiB image files, filled through the volume API.</summary>
internal sealed class CliPool : IDisposable
{
    public CliPool(int members = 3, string compression = "zstd")
    {
        Directory = Path.Combine(Path.GetTempPath(), "argos-fsckcli-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        Images = Enumerable.Range(0, members).Select(i => Path.Combine(Directory, $"m{i}.img")).ToArray();
        ArgosVolume.Create(Images, new VolumeCreateOptions
        {
            K = 2, M = 1, PoolName = "clitest", ImageSizeBytes = 64L << 20,
            Compression = DataPath.Codecs.CompressionSettings.Parse(compression),
        });
    }

    public string Directory { get; }
    public string[] Images { get; }
    public string ImageList => string.Join(',', Images);

    public static byte[] Random(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    public InodeId Write(ArgosVolume v, string name, byte[] data)
    {
        var ino = v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, Encoding.UTF8.GetBytes(name), 0x81A4, Credentials.Root)).Ino;
        v.Write(ino, 0, data, Credentials.Root);
        v.Flush(ino);
        return ino;
    }

    public static void Flip(string image, ShardLocation shard)
    {
        using var f = new FileStream(image, FileMode.Open, FileAccess.ReadWrite);
        f.Position = (long)shard.OffsetBytes + 64;
        var b = new byte[8];
        f.ReadExactly(b);
        for (var i = 0; i < b.Length; i++) b[i] ^= 0x5A;
        f.Position = (long)shard.OffsetBytes + 64;
        f.Write(b);
    }

    public string KeyFile(string passphrase)
    {
        var path = Path.Combine(Directory, "key-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(path, passphrase + "\n");
        return path;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

public sealed class FsckCliTests
{
    [Fact]
    public void Fsck_FullFindsCorruptShards_RepairFixes_ExitCodesAndJson()
    {
        using var pool = new CliPool();
        var data = CliPool.Random(1_500_000, 1);
        var shards = new List<(string Image, ShardLocation Shard)>();
        using (var v = ArgosVolume.Open(pool.Images))
        {
            var ino = pool.Write(v, "file", data);
            var stripes = new List<KeyValuePair<StripeIndex, StripeRecord>>();
            v.Namespace.GetStripes(ino, new StripeIndex(0), 16, stripes);
            var paths = v.Info.Members.ToDictionary(m => m.Index.Value, m => m.Path!);
            foreach (var (s, i) in new[] { (0, 1), (2, 0) })
            {
                var loc = stripes[s].Value.Shards.Span[i];
                shards.Add((paths[loc.Member], loc));
            }
        }
        foreach (var (image, shard) in shards) CliPool.Flip(image, shard);

        var quick = FsckCli.Run(null, "fsck", "--images", pool.ImageList);
        Assert.Equal(0, quick.Exit);
        Assert.Contains("metadata only", quick.Stdout);

        var full = FsckCli.Run(null, "fsck", "--images", pool.ImageList, "--full", "--json");
        Assert.Equal(1, full.Exit);
        var json = full.Json;
        Assert.False((bool)json["ok"]!);
        Assert.Equal(2, (long)json["corrupt_shards"]!);
        Assert.Equal(0, (long)json["repaired_shards"]!);
        Assert.Equal(9, (long)json["checked_shards"]!);
        Assert.Equal(2, json["issues"]!.AsArray().Count(i => (string)i!["kind"]! == "corrupt-shard" && (string)i["path"]! == "/file"));
        Assert.Equal(2, json["member_errors"]!.AsObject().Sum(x => (long)x.Value!));

        var repair = FsckCli.Run(null, "fsck", "--images", pool.ImageList, "--full", "--repair", "--json");
        Assert.Equal(0, repair.Exit);
        Assert.True((bool)repair.Json["ok"]!);
        Assert.Equal(2, (long)repair.Json["repaired_shards"]!);

        var again = FsckCli.Run(null, "fsck", "--images", pool.ImageList, "--full");
        Assert.Equal(0, again.Exit);
        Assert.Contains("clean", again.Stdout);
        using var ro = ArgosVolume.Open(pool.Images, new VolumeOpenOptions { ReadOnly = true });
        var back = new byte[data.Length];
        ro.Read(ro.Namespace.Lookup(InodeId.Root, "file"u8).Ino, 0, back);
        Assert.Equal(data, back);
    }

    [Fact]
    public void Fsck_MissingMemberWithoutSpare_ExitsOneAndListsUnrecoverable()
    {
        using var pool = new CliPool();
        using (var v = ArgosVolume.Open(pool.Images)) pool.Write(v, "big", CliPool.Random(1_100_000, 2));
        File.Delete(pool.Images[0]);
        var survivors = string.Join(',', pool.Images[1..]);

        var ro = FsckCli.Run(null, "fsck", "--images", survivors);
        Assert.Equal(1, ro.Exit);
        Assert.Contains("missing-member-shards", ro.Stdout);

        var repair = FsckCli.Run(null, "fsck", "--images", survivors, "--repair", "--json");
        Assert.Equal(1, repair.Exit);
        var unrecoverable = repair.Json["unrecoverable"]!.AsArray();
        Assert.NotEmpty(unrecoverable);
        Assert.All(unrecoverable, u =>
        {
            Assert.Contains("no spare member; replace the missing member", (string)u!["reason"]!);
            Assert.Equal("/big", (string)u["path"]!);
            Assert.NotNull(u["stripe"]);
            Assert.NotNull(u["inode"]);
        });
    }

    [Fact]
    public void Scrub_VerifiesAndRepairs_RateOptionValidated()
    {
        using var pool = new CliPool();
        ShardLocation shard;
        string image;
        using (var v = ArgosVolume.Open(pool.Images))
        {
            var ino = pool.Write(v, "f", CliPool.Random(900_000, 3));
            v.Namespace.TryGetStripe(ino, new StripeIndex(1), out var stripe);
            shard = stripe.Shards.Span[0];
            image = v.Info.Members.Single(m => m.Index.Value == shard.Member).Path!;
        }
        CliPool.Flip(image, shard);
        var scrub = FsckCli.Run(null, "scrub", "--images", pool.ImageList, "--max-bytes-per-sec", "64MiB", "--json");
        Assert.Equal(0, scrub.Exit);
        Assert.Equal(1, (long)scrub.Json["corrupt_shards"]!);
        Assert.Equal(1, (long)scrub.Json["repaired_shards"]!);
        Assert.True((long)scrub.Json["bytes_verified"]! > 900_000);
        var text = FsckCli.Run(null, "scrub", "--images", pool.ImageList);
        Assert.Equal(0, text.Exit);
        Assert.Contains("clean", text.Stdout);

        var bad = FsckCli.Run(null, "scrub", "--images", pool.ImageList, "--max-bytes-per-sec", "fast");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--max-bytes-per-sec", bad.Stderr);
    }
}

public sealed class EncryptionCliTests
{
    private static readonly string[] s_cheapKdf = ["--kdf-ops", "1", "--kdf-memory", "8KiB"];

    [Fact]
    public void EnableEncryption_Status_Reencrypt_MissingAndWrongKey()
    {
        using var pool = new CliPool(compression: "none");
        var data = CliPool.Random(1_200_000, 4);
        using (var v = ArgosVolume.Open(pool.Images)) pool.Write(v, "old", data);
        var key = pool.KeyFile("s3cret passphrase");

        var noKey = FsckCli.Run(null, ["enable-encryption", "--images", pool.ImageList, .. s_cheapKdf]);
        Assert.Equal(2, noKey.Exit);
        Assert.Contains("needs a passphrase", noKey.Stderr);

        var enable = FsckCli.Run(null, ["enable-encryption", "--images", pool.ImageList, "--key-file", key, "--json", .. s_cheapKdf]);
        Assert.Equal(0, enable.Exit);
        Assert.True((bool)enable.Json["enabled"]!);
        Assert.True((bool)enable.Json["newly_enabled"]!);
        Assert.Equal(3, (long)enable.Json["plaintext_stripes"]!);

        var status = FsckCli.Run(null, "encryption-status", "--images", pool.ImageList, "--key-file", key, "--json");
        Assert.Equal(0, status.Exit);
        var s = status.Json;
        Assert.True((bool)s["enabled"]!);
        Assert.Equal("argon2id", (string)s["kdf"]!);
        Assert.Equal(1, (long)s["ops_limit"]!);
        Assert.Equal(8192, (long)s["mem_limit_bytes"]!);
        Assert.Equal(0, (long)s["encrypted_stripes"]!);
        Assert.Equal(3, (long)s["plaintext_stripes"]!);
        Assert.Equal(0, (long)s["inline_files"]!);

        var again = FsckCli.Run(null, ["enable-encryption", "--images", pool.ImageList, "--key-file", key, .. s_cheapKdf]);
        Assert.Equal(1, again.Exit);
        Assert.Contains("already encrypted", again.Stderr);

        var re = FsckCli.Run("s3cret passphrase\n", "enable-encryption", "--images", pool.ImageList, "--passphrase-stdin", "--reencrypt", "--json");
        Assert.Equal(0, re.Exit);
        Assert.Equal(3, (long)re.Json["reencrypt"]!["stripes_rewritten"]!);
        Assert.Equal(0, (long)re.Json["plaintext_stripes"]!);
        Assert.Equal(3, (long)re.Json["encrypted_stripes"]!);

        var wrong = FsckCli.Run(null, "encryption-status", "--images", pool.ImageList, "--key-file", pool.KeyFile("nope"));
        Assert.Equal(1, wrong.Exit);
        Assert.Contains("wrong key", wrong.Stderr);

        // fsck without a key still verifies every shard checksum and says what it could not decode
        var fsck = FsckCli.Run(null, "fsck", "--images", pool.ImageList, "--full", "--json");
        Assert.Equal(0, fsck.Exit);
        Assert.Contains(fsck.Json["issues"]!.AsArray(), i => (string)i!["kind"]! == "not-decoded");

        using (var v = ArgosVolume.Open(pool.Images, new VolumeOpenOptions { ReadOnly = true }))
        {
            var e = Assert.ThrowsAny<Exception>(() => v.Read(v.Namespace.Lookup(InodeId.Root, "old"u8).Ino, 0, new byte[100]));
            Assert.Equal(Errno.EACCES, VolumeErrors.ToErrno(e));
        }
        using (var v = ArgosVolume.Open(pool.Images, new VolumeOpenOptions { ReadOnly = true, KeyFile = key }))
        {
            var back = new byte[data.Length];
            v.Read(v.Namespace.Lookup(InodeId.Root, "old"u8).Ino, 0, back);
            Assert.Equal(data, back);
        }
    }
}
