using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Argos.Volume.Maintenance;
using Xunit;

namespace Argos.Volume.Tests;

/// <summary>
/// A write reserves room on the members for the data it buffers (ArgosVolume.Reservation.cs): on a
/// full pool the WRITE fails with ENOSPC, and everything accepted before it can be stored, so a close
/// that the kernel does not wait for (FOPEN_NOFLUSH) loses nothing.
/// </summary>
public sealed class ReservationTests
{
    private static readonly Credentials s_root = Credentials.Root;

    private static InodeId CreateFile(ArgosVolume v, string name) =>
        v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, Encoding.UTF8.GetBytes(name), 0x81A4, s_root)).Ino;

    [Fact]
    public void FillingThePool_FailsTheWriteWithEnospc_AndEveryAcceptedByteIsStored()
    {
        using var pool = new TempPool(size: "64MiB");
        var random = new Random(5);
        var accepted = new List<(InodeId Ino, byte[] Data)>();
        VolumeException? full = null;
        using (var v = pool.Open())
        {
            // Incompressible data in 256 KiB writes, to several files, never flushed by the test:
            // the store threads and the per-file dirty limit store what they store, the rest stays buffered.
            var files = Enumerable.Range(0, 4).Select(i => CreateFile(v, "f" + i)).ToArray();
            var written = new List<byte>[files.Length];
            for (var i = 0; i < files.Length; i++) written[i] = new List<byte>();
            for (var round = 0; full is null && round < 10_000; round++)
            {
                var f = round % files.Length;
                var chunk = new byte[256 * 1024];
                random.NextBytes(chunk);
                try
                {
                    v.Write(files[f], (ulong)written[f].Count, chunk, s_root);
                    written[f].AddRange(chunk);
                }
                catch (VolumeException e)
                {
                    full = e;
                }
            }
            Assert.NotNull(full);
            Assert.Equal(Errno.ENOSPC, full!.Errno);
            Assert.Contains("no space for this write", full.Message);
            Assert.True(v.ReservedBytesPerMember > 0);
            for (var i = 0; i < files.Length; i++)
            {
                // the failed write changed nothing: the size is what was accepted
                Assert.Equal((ulong)written[i].Count, v.GetAttr(files[i]).Size);
                accepted.Add((files[i], written[i].ToArray()));
            }
            // What was accepted fits: flushing stores all of it.
            foreach (var (ino, _) in accepted) v.Flush(ino, durable: true);
            Assert.Equal(0, v.ReservedBytesPerMember);
            Assert.True(accepted.Sum(a => (long)a.Data.Length) > 20L << 20, "the pool took at least 20 MiB before saying ENOSPC");
        }
        using (var v = pool.Open(readOnly: true))
        {
            foreach (var (ino, data) in accepted)
            {
                var back = new byte[data.Length];
                Assert.Equal(data.Length, v.Read(ino, 0, back));
                Assert.Equal(data, back);
            }
            Assert.True(v.Fsck(new FsckOptions { Full = true }).Ok);
        }
    }

    [Fact]
    public void Reservations_FollowTheBufferedStripes_AndAreGivenBackOnFlushAndUnlink()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var a = CreateFile(v, "a");
        v.Write(a, 0, new byte[4096], s_root);
        var small = v.ReservedBytesPerMember;
        Assert.True(small >= 4096, $"a 4 KiB buffered write reserves at least 4 KiB per member (got {small})");
        // Growing the file past its stripe makes the first stripe whole and reserves the second.
        v.Write(a, 600 * 1024, new byte[4096], s_root);
        Assert.True(v.ReservedBytesPerMember > small + 200 * 1024, $"got {v.ReservedBytesPerMember}");
        v.Flush(a);
        Assert.Equal(0, v.ReservedBytesPerMember);

        var b = CreateFile(v, "b");
        v.Write(b, 0, new byte[100_000], s_root);
        Assert.True(v.ReservedBytesPerMember > 0);
        v.Mutate(tx => v.Namespace.Unlink(tx, InodeId.Root, Encoding.UTF8.GetBytes("b")));
        v.Sync();
        Assert.Equal(0, v.ReservedBytesPerMember);
    }
}
