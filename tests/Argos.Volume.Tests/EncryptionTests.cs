using System.Text;
using Argos.DataPath.Codecs;
using Argos.Format;
using Argos.Platform;
using Argos.Volume.Maintenance;
using Xunit;
using static Argos.Volume.Tests.FsckTestSupport;

namespace Argos.Volume.Tests;

/// <summary>Runs serially (one class): it reads the process-wide key-derivation counter.</summary>
public sealed class EncryptionTests
{
    private static readonly byte[] s_marker = "ARGOS-SECRET-MARKER-7f3a9c0e51d24b68"u8.ToArray();
    private static readonly byte[] s_passphrase = "correct horse battery staple"u8.ToArray();

    private static byte[] WithMarkers(int length, int seed)
    {
        var data = RandomBytes(length, seed);
        for (var at = 1000; at + s_marker.Length < length; at += Math.Max(4096, length / 7))
        {
            s_marker.CopyTo(data, at);
        }
        return data;
    }

    private static string KeyFile(TempPool pool, byte[] passphrase)
    {
        var path = Path.Combine(pool.Directory, "key-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllBytes(path, [.. passphrase, (byte)'\n']);
        return path;
    }

    private static ArgosVolume OpenWithKey(TempPool pool, string? keyFile, bool readOnly = false, long cacheBytes = 64L << 20) =>
        ArgosVolume.Open(pool.Images, new VolumeOpenOptions { ReadOnly = readOnly, KeyFile = keyFile, StripeCacheBytes = cacheBytes });

    private static void Enable(ArgosVolume v) =>
        v.EnableEncryption(s_passphrase, opsLimit: 1, memLimitBytes: KdfParameters.MinMemLimitBytes);

    [Fact]
    public void EnableThenReencrypt_EveryFileReadsBack_AndImagesHoldNoPlaintext()
    {
        using var pool = new TempPool(size: "64MiB", compression: "none");
        var files = new Dictionary<string, byte[]>
        {
            ["big"] = WithMarkers(1_300_000, 1),
            ["small"] = WithMarkers(10_000, 2),
            ["tiny"] = RandomBytes(300, 3), // inline: lives in the inode record
        };
        using (var v = pool.Open())
        {
            foreach (var (name, data) in files) WriteFile(v, name, data);
        }
        Assert.True(ImagesContain(pool.Images, s_marker), "control: the plaintext marker must be visible before encryption");

        using (var v = pool.Open())
        {
            Enable(v);
            var after = WithMarkers(700_000, 4);
            files["after"] = after;
            WriteFile(v, "after", after);
            var before = v.GetEncryptionStatus();
            Assert.True(before.Enabled);
            Assert.Equal(1, before.InlineFiles);
            Assert.Equal(1u, before.OpsLimit);
            Assert.True(before.PlaintextStripes >= 4, $"plaintext stripes: {before.PlaintextStripes}");
            Assert.True(before.EncryptedStripes >= 2, $"encrypted stripes: {before.EncryptedStripes}");

            var re = v.Reencrypt();
            Assert.Equal(before.PlaintextStripes, re.StripesRewritten);
            Assert.Equal(1, re.InlineFilesMoved);
            var status = v.GetEncryptionStatus();
            Assert.Equal(0, status.PlaintextStripes);
            Assert.Equal(0, status.InlineFiles);
            Assert.Equal(before.EncryptedStripes + before.PlaintextStripes + 1, status.EncryptedStripes);
            foreach (var (name, data) in files) Assert.Equal(data, ReadAll(v, Lookup(v, name)));
        }
        Assert.False(ImagesContain(pool.Images, s_marker), "plaintext file data is still on a member after --reencrypt");

        var key = KeyFile(pool, s_passphrase);
        using (var v = OpenWithKey(pool, key, readOnly: true))
        {
            foreach (var (name, data) in files) Assert.Equal(data, ReadAll(v, Lookup(v, name)));
            var fsck = v.Fsck(new FsckOptions { Full = true });
            Assert.True(fsck.Ok, string.Join("; ", fsck.Issues.Select(i => i.Message)));
            Assert.DoesNotContain(fsck.Issues, i => i.Kind == "not-decoded");
        }
    }

    [Fact]
    public void WithoutKey_ReadsAndWritesFailWithEACCES_WrongKeyFailsTheOpen()
    {
        using var pool = new TempPool(size: "64MiB");
        var data = RandomBytes(600_000, 5);
        using (var v = pool.Open())
        {
            Enable(v);
            WriteFile(v, "f", data);
        }
        using (var v = OpenWithKey(pool, keyFile: null))
        {
            Assert.False(v.HasKey);
            var ino = Lookup(v, "f");
            var read = Assert.ThrowsAny<Exception>(() => v.Read(ino, 0, new byte[4096]));
            Assert.Equal(Errno.EACCES, VolumeErrors.ToErrno(read));
            Assert.Contains("encrypted pool: no key; set ARGOSFS_KEY_FILE or pass --key-file", read.Message);
            var write = Assert.ThrowsAny<Exception>(() => v.Write(ino, 0, "x"u8, Root));
            Assert.Equal(Errno.EACCES, VolumeErrors.ToErrno(write));
            // fsck without the key still checks every shard checksum, and says what it could not check
            var fsck = v.Fsck(new FsckOptions { Full = true });
            Assert.True(fsck.Ok);
            Assert.Contains(fsck.Issues, i => i.Kind == "not-decoded");
        }
        var wrong = KeyFile(pool, "not the passphrase"u8.ToArray());
        var e = Assert.Throws<EncryptionKeyException>(() => OpenWithKey(pool, wrong));
        Assert.Equal(KeyProblem.Wrong, e.Problem);
        Assert.Contains("wrong key", e.Message);
        Assert.Equal(Errno.EACCES, VolumeErrors.ToErrno(e));
        using (var v = OpenWithKey(pool, KeyFile(pool, s_passphrase)))
        {
            Assert.Equal(data, ReadAll(v, Lookup(v, "f")));
        }
    }

    [Fact]
    public void KeyIsDerivedOncePerOpen_NotPerRead()
    {
        using var pool = new TempPool(size: "64MiB");
        var data = RandomBytes(3_000_000, 6);
        using (var v = pool.Open())
        {
            Enable(v);
            WriteFile(v, "f", data);
        }
        var key = KeyFile(pool, s_passphrase);
        var before = ArgosVolume.KeyDerivations;
        using var ro = OpenWithKey(pool, key, readOnly: true, cacheBytes: 0);
        Assert.Equal(before + 1, ArgosVolume.KeyDerivations);
        var ino = Lookup(ro, "f");
        var chunk = new byte[64 * 1024];
        for (var pass = 0; pass < 3; pass++)
        {
            for (ulong at = 0; at < (ulong)data.Length; at += (ulong)chunk.Length)
            {
                var n = ro.Read(ino, at, chunk);
                Assert.True(chunk.AsSpan(0, n).SequenceEqual(data.AsSpan((int)at, n)));
            }
        }
        Assert.Equal(before + 1, ArgosVolume.KeyDerivations);
    }

    [Fact]
    public void EnableTwice_IsRefused_ReencryptNeedsEncryptionOn()
    {
        using var pool = new TempPool(size: "64MiB");
        using var v = pool.Open();
        var notOn = Assert.Throws<VolumeException>(() => v.Reencrypt());
        Assert.Equal(Errno.EINVAL, notOn.Errno);
        Enable(v);
        var twice = Assert.Throws<VolumeException>(() => Enable(v));
        Assert.Equal(Errno.EEXIST, twice.Errno);
        Assert.Contains("--reencrypt", twice.Message);
        Assert.Equal(0, v.Reencrypt().StripesRewritten);
    }
}
