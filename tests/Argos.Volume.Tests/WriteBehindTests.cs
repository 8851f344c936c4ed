using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Storage;
using Argos.Volume.Maintenance;
using Xunit;

namespace Argos.Volume.Tests;

/// <summary>
/// Streaming writes hand completed stripes to store threads (ArgosVolume.WriteBehind.cs) and decoded
/// stripes live in pooled, reference-counted buffers (StripeData): reads, overwrites, flushes and
/// failures while stripes are in flight, checked byte for byte against a model.
/// </summary>
public sealed class WriteBehindTests
{
    private const int Stripe = 2 * 256 * 1024; // 2+1, 256 KiB chunks
    private static readonly Credentials s_root = Credentials.Root;

    private static InodeId CreateFile(ArgosVolume v, string name) =>
        v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, Encoding.UTF8.GetBytes(name), 0x81A4, s_root)).Ino;

    private static byte[] Read(ArgosVolume v, InodeId ino, ulong offset, int length)
    {
        var buffer = new byte[length];
        var n = v.Read(ino, offset, buffer);
        return buffer[..n];
    }

    [Fact]
    public void StreamingWrites_ReadAndOverwriteStripesInFlight_MatchTheModel()
    {
        using var pool = new TempPool();
        var random = new Random(11);
        var model = new byte[24 * Stripe];
        InodeId ino;
        using (var v = pool.Open())
        {
            ino = CreateFile(v, "stream");
            for (var i = 0; i < 24; i++)
            {
                // a whole stripe in two 256 KiB writes: the second completes it and hands it off
                var chunk = new byte[Stripe];
                random.NextBytes(chunk);
                v.Write(ino, (ulong)(i * Stripe), chunk.AsSpan(0, Stripe / 2), s_root);
                v.Write(ino, (ulong)(i * Stripe + Stripe / 2), chunk.AsSpan(Stripe / 2), s_root);
                chunk.CopyTo(model, i * Stripe);
                // at once: read the stripe just handed off, and overwrite a piece of it (waits for its store)
                Assert.Equal(model.AsSpan(i * Stripe, Stripe).ToArray(), Read(v, ino, (ulong)(i * Stripe), Stripe));
                if (i % 3 == 0)
                {
                    var patch = new byte[10_000];
                    random.NextBytes(patch);
                    var at = i * Stripe + random.Next(Stripe - patch.Length);
                    v.Write(ino, (ulong)at, patch, s_root);
                    patch.CopyTo(model, at);
                }
                if (i > 0)
                {
                    var back = random.Next(i * Stripe);
                    Assert.Equal(model.AsSpan(back, 4096).ToArray(), Read(v, ino, (ulong)back, 4096));
                }
            }
            Assert.Equal((ulong)model.Length, v.GetAttr(ino).Size);
            Assert.Equal(model, Read(v, ino, 0, model.Length));
            v.Flush(ino, durable: true);
            Assert.Equal(model, Read(v, ino, 0, model.Length));
        }
        using (var v = pool.Open(readOnly: true))
        {
            Assert.Equal(model, Read(v, ino, 0, model.Length));
            Assert.True(v.Fsck(new FsckOptions { Full = true }).Ok);
        }
    }

    [Fact]
    public void ConcurrentWritersAndReaders_WithATinyStripeCache_ReadBackExact()
    {
        using var pool = new TempPool();
        const int files = 3, stripesPerFile = 12;
        var data = Enumerable.Range(0, files).Select(f =>
        {
            var b = new byte[stripesPerFile * Stripe + 12345];
            new Random(100 + f).NextBytes(b);
            return b;
        }).ToArray();
        // A cache of four stripes: decoded buffers are evicted and reused while readers copy from others.
        using (var v = ArgosVolume.Open(pool.Images.ToList(), new VolumeOpenOptions { StripeCacheBytes = 4L * Stripe * 4 }))
        {
            var inos = Enumerable.Range(0, files).Select(f => CreateFile(v, $"f{f}")).ToArray();
            Parallel.For(0, files, f =>
            {
                for (var at = 0; at < data[f].Length; at += 1 << 20)
                {
                    var n = Math.Min(1 << 20, data[f].Length - at);
                    v.Write(inos[f], (ulong)at, data[f].AsSpan(at, n), s_root);
                }
                v.Flush(inos[f]);
            });
            var failures = 0;
            Parallel.For(0, 6, r =>
            {
                var random = new Random(r);
                for (var i = 0; i < 150; i++)
                {
                    var f = random.Next(files);
                    var at = random.Next(data[f].Length - 70_000);
                    if (!Read(v, inos[f], (ulong)at, 70_000).AsSpan().SequenceEqual(data[f].AsSpan(at, 70_000)))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            });
            Assert.Equal(0, failures);
        }
    }

    [Fact]
    public void BackgroundStoreFails_DataStaysBuffered_FlushReportsTheErrorAndLaterSucceeds()
    {
        using var pool = new TempPool();
        var failing = new List<FailingWriteDevice>();
        var options = new VolumeOpenOptions
        {
            DeviceWrapper = d =>
            {
                var w = new FailingWriteDevice(d);
                lock (failing) failing.Add(w);
                return w;
            },
        };
        var data = new byte[6 * Stripe];
        new Random(5).NextBytes(data);
        InodeId ino;
        using (var v = ArgosVolume.Open(pool.Images.ToList(), options))
        {
            ino = CreateFile(v, "f");
            v.Flush(ino, durable: true);
            foreach (var d in failing) d.FailShardWrites = true;
            var failuresSeen = 0;
            for (var at = 0; at < data.Length; at += 1 << 20)
            {
                try
                {
                    v.Write(ino, (ulong)at, data.AsSpan(at, 1 << 20), s_root);
                }
                catch (IOException)
                {
                    failuresSeen++; // the queue was full and the writer stored the stripe itself
                }
            }
            Assert.ThrowsAny<IOException>(() => v.Flush(ino));
            // nothing lost: every byte is still readable from the buffer
            Assert.Equal(data, Read(v, ino, 0, data.Length));
            foreach (var d in failing) d.FailShardWrites = false;
            v.Flush(ino, durable: true);
            Assert.Equal(data, Read(v, ino, 0, data.Length));
        }
        using (var v = pool.Open(readOnly: true))
        {
            Assert.Equal(data, Read(v, ino, 0, data.Length));
            Assert.True(v.Fsck(new FsckOptions { Full = true }).Ok);
        }
    }

    [Fact]
    public void AStripeStoredBeforeALowerOne_WaitsForIt_RecordsCommitInIndexOrder()
    {
        using var pool = new TempPool();
        var blockers = new List<BlockingDevice>();
        var gate = new ManualResetEventSlim(false);
        var options = new VolumeOpenOptions
        {
            DeviceWrapper = d =>
            {
                var b = new BlockingDevice(d, gate);
                lock (blockers) blockers.Add(b);
                return b;
            },
        };
        var data = new byte[2 * Stripe];
        new Random(9).NextBytes(data);
        using (var v = ArgosVolume.Open(pool.Images.ToList(), options))
        using (new Opener(gate)) // a failing assertion must not leave the store thread blocked for 30 s
        {
            var ino = CreateFile(v, "f");
            v.Flush(ino, durable: true);
            BlockingDevice.Armed = 1; // the next shard write blocks until the gate opens
            v.Write(ino, 0, data.AsSpan(0, Stripe), s_root); // stripe 0: handed off, its store blocks
            Thread.Sleep(300);
            v.Write(ino, Stripe, data.AsSpan(Stripe), s_root); // stripe 1: stored by the other thread
            Thread.Sleep(500);
            Assert.False(v.Namespace.TryGetStripe(ino, new StripeIndex(1), out _), "stripe 1 committed before stripe 0");
            Assert.False(v.Namespace.TryGetStripe(ino, new StripeIndex(0), out _));
            Assert.Equal(data, Read(v, ino, 0, data.Length)); // served from the sealed buffers meanwhile
            gate.Set();
            v.Flush(ino, durable: true);
            Assert.True(v.Namespace.TryGetStripe(ino, new StripeIndex(0), out _));
            Assert.True(v.Namespace.TryGetStripe(ino, new StripeIndex(1), out _));
            Assert.Equal((ulong)data.Length, v.Namespace.GetAttr(ino).Size);
        }
        using (var v = pool.Open(readOnly: true))
        {
            var ino = v.Namespace.Lookup(InodeId.Root, Encoding.UTF8.GetBytes("f")).Ino;
            Assert.Equal(data, Read(v, ino, 0, data.Length));
        }
    }

    private sealed class Opener(ManualResetEventSlim gate) : IDisposable
    {
        public void Dispose() => gate.Set();
    }

    /// <summary>Blocks one whole-shard write (the first after <see cref="Armed"/> is set) until the gate opens.</summary>
    private sealed class BlockingDevice(IMemberDevice inner, ManualResetEventSlim gate) : DelegatingDevice(inner)
    {
        public static int Armed;
        public override void WriteAt(long offsetBytes, ReadOnlySpan<byte> buffer)
        {
            if (buffer.Length == 256 * 1024 && Interlocked.Exchange(ref Armed, 0) == 1) gate.Wait(TimeSpan.FromSeconds(30));
            base.WriteAt(offsetBytes, buffer);
        }
    }

    /// <summary>Fails writes of a whole 256 KiB shard (file data) while <see cref="FailShardWrites"/> is set; metadata writes pass.</summary>
    private sealed class FailingWriteDevice(IMemberDevice inner) : DelegatingDevice(inner)
    {
        public volatile bool FailShardWrites;
        public override void WriteAt(long offsetBytes, ReadOnlySpan<byte> buffer)
        {
            if (FailShardWrites && buffer.Length == 256 * 1024) throw new IOException("injected write failure");
            base.WriteAt(offsetBytes, buffer);
        }
    }
}
