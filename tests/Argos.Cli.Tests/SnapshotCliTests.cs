using System.Security.Cryptography;
using Xunit;

namespace Argos.Cli.Tests;

/// <summary>snapshot create|list|delete and ls/cat/export-tree --snapshot, end to end on image files.</summary>
[Trait("Requires", "root")]
public sealed class SnapshotCliTests : IDisposable
{
    private readonly string _work = Path.Combine("/tmp", "argos-snapcli-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string[] _pool;
    private readonly string[] _images;

    public SnapshotCliTests()
    {
        Directory.CreateDirectory(_work);
        _images = new[] { "a", "b", "c" }.Select(x => Path.Combine(_work, x + ".img")).ToArray();
        _pool = ["--images", string.Join(',', _images)];
        ArgosCli.Ok(["mkfs", .. _pool, "--image-size", "128MiB"]);
    }

    public void Dispose() => Shell.Run($"rm -rf '{_work}'", check: false);

    private CliResult Ok(params string[] args) => ArgosCli.Ok([.. args[..Verb(args)], .. _pool, .. args[Verb(args)..]]);

    private CliResult Run(params string[] args) => ArgosCli.Run([.. args[..Verb(args)], .. _pool, .. args[Verb(args)..]]);

    /// <summary>"snapshot create" is a two-word verb; everything else one word.</summary>
    private static int Verb(string[] args) => args[0] == "snapshot" ? 2 : 1;

    private string Local(string name, int length, int seed)
    {
        var path = Path.Combine(_work, name);
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        File.WriteAllBytes(path, data);
        return path;
    }

    private string ImagesHash() => Convert.ToHexString(SHA256.HashData(_images.SelectMany(File.ReadAllBytes).ToArray()));

    [Fact]
    public void SnapshotCreate_LiveChanges_CatLsExportFromSnapshot_DeleteFreesSpace()
    {
        var big = Local("big.bin", 1_500_000, 1);
        var small = Local("small.txt", 300, 2);
        Ok("mkdir", "/d");
        Ok("put", big, "/d/big.bin");
        Ok("put", small, "/small.txt");
        var created = Ok("snapshot", "create", "v1", "--json").Json;
        Assert.Equal("v1", created["name"]!.GetValue<string>());
        Assert.Equal(4, created["inodes"]!.GetValue<long>());
        var pinnedUsed = ArgosCli.UsedBytes(_pool);

        // Change the live tree: overwrite, truncate, delete, add.
        Ok("put", Local("other.bin", 1_500_000, 3), "/d/big.bin");
        Ok("truncate", "/small.txt", "10");
        Ok("rm", "/d/big.bin");
        Ok("put", Local("new.bin", 800_000, 4), "/new.bin");

        Assert.True(File.ReadAllBytes(big).AsSpan().SequenceEqual(Ok("cat", "--snapshot", "v1", "/d/big.bin").StdoutBytes));
        Assert.Equal(10, Ok("cat", "/small.txt").StdoutBytes.Length);
        Assert.Equal(["big.bin"], Ok("ls", "--snapshot", "v1", "/d").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("new.bin", Ok("ls", "--snapshot", "v1", "/").Stdout);
        Assert.Contains("new.bin", Ok("ls", "/").Stdout);

        var export = Path.Combine(_work, "export");
        Ok("export-tree", "--snapshot", "v1", export);
        Assert.Equal("same\n", Shell.Run($"cmp '{big}' '{export}/d/big.bin' && cmp '{small}' '{export}/small.txt' && echo same"));
        Assert.False(File.Exists(Path.Combine(export, "new.bin")));

        var list = Ok("snapshot", "list", "--json").Json.AsArray();
        var entry = Assert.Single(list)!;
        Assert.Equal("v1", entry["name"]!.GetValue<string>());
        Assert.Equal(1, entry["id"]!.GetValue<long>());
        Assert.True(entry["referenced_bytes"]!.GetValue<long>() > 1_500_000);
        Assert.True(entry["txid"]!.GetValue<long>() > 0);
        Assert.NotNull(entry["created"]);
        Assert.Contains("v1", Ok("snapshot", "list").Stdout);

        Assert.True(Ok("fsck", "--full", "--json").Json["ok"]!.GetValue<bool>());
        var before = ArgosCli.UsedBytes(_pool);
        var deleted = Ok("snapshot", "delete", "v1", "--json").Json;
        Assert.True(deleted["freed_bytes"]!.GetValue<long>() > 1_500_000);
        var after = ArgosCli.UsedBytes(_pool);
        Assert.True(after < before - 1_500_000, $"used bytes {before} → {after} (with the snapshot: {pinnedUsed})");
        Assert.Empty(Ok("snapshot", "list", "--json").Json.AsArray());
        var fsck = Ok("fsck", "--full", "--json").Json;
        Assert.True(fsck["ok"]!.GetValue<bool>());
        Assert.Equal(0, fsck["leaked_extents"]!.GetValue<long>());
    }

    [Fact]
    public void BadInput_DuplicateUnknownOrInvalidName_OneLineHintNonZeroExitNothingModified()
    {
        Ok("put", Local("f", 5000, 9), "/f");
        Ok("snapshot", "create", "taken");
        var hash = ImagesHash();
        foreach (var (args, hint) in new (string[], string)[]
        {
            (["snapshot", "create", "taken"], "already exists; pick another name"),
            (["snapshot", "delete", "missing"], "'argosfs snapshot list' shows the names"),
            (["snapshot", "create", "a/b"], "without '/'"),
            (["snapshot", "create", new string('x', 256)], "1..255 bytes"),
            (["cat", "--snapshot", "missing", "/f"], "snapshot list"),
            (["ls", "--snapshot", "bad/name", "/"], "without '/'"),
        })
        {
            var r = Run(args);
            Assert.NotEqual(0, r.ExitCode);
            var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.Contains(hint, lines[0]);
            Assert.Equal(hash, ImagesHash());
        }
        Assert.Equal("taken", Assert.Single(Ok("snapshot", "list", "--json").Json.AsArray())!["name"]!.GetValue<string>());
    }
}
