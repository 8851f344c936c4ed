using Argos.Format;
using Argos.Platform;
using Xunit;
using static Argos.Volume.Tests.FsckTestSupport;

namespace Argos.Volume.Tests;

/// <summary>
/// Random reads of raw stripes read one data shard (ArgosVolume.TryReadWithinShard); a bad or missing
/// shard falls back to decoding the stripe from the others. Checked against the written bytes.
/// </summary>
public sealed class ShardReadTests
{
    private const int Chunk = 256 * 1024;

    private static byte[] ReadAt(ArgosVolume v, InodeId ino, int offset, int length)
    {
        var buffer = new byte[length];
        Assert.Equal(length, v.Read(ino, (ulong)offset, buffer));
        return buffer;
    }

    [Fact]
    public void RandomReads_OfRawStripes_ReturnTheWrittenBytes_AndShardRangesStayExact()
    {
        using var pool = new TempPool();
        var data = RandomBytes(5 * 2 * Chunk + 70_000, 41); // incompressible: stored raw
        InodeId ino;
        using (var v = pool.Open())
        {
            ino = WriteFile(v, "f", data);
        }
        using (var v = pool.Open(readOnly: true))
        {
            var random = new Random(3);
            // scattered reads, never two in a row of the same or the next stripe (no sequential path)
            for (var i = 0; i < 200; i++)
            {
                var length = random.Next(1, 9000);
                var offset = random.Next(data.Length - length);
                Assert.Equal(data.AsSpan(offset, length).ToArray(), ReadAt(v, ino, offset, length));
                var far = (offset + 3 * 2 * Chunk) % (data.Length - 4096);
                Assert.Equal(data.AsSpan(far, 4096).ToArray(), ReadAt(v, ino, far, 4096));
            }
            // the edges of a shard, and the short last stripe up to the end of file
            foreach (var offset in new[] { Chunk - 100, Chunk, 2 * Chunk - 1, 5 * 2 * Chunk + 69_000 })
            {
                var length = Math.Min(100, data.Length - offset);
                Assert.Equal(data.AsSpan(offset, length).ToArray(), ReadAt(v, ino, offset, length));
            }
            Assert.Empty(v.ShardErrors);
        }
    }

    [Fact]
    public void RandomRead_FromACorruptShard_IsRebuiltFromTheOthers_AndCounted()
    {
        using var pool = new TempPool();
        var data = RandomBytes(4 * 2 * Chunk, 42);
        InodeId ino;
        Dictionary<int, string> paths;
        StripeRecordShards target;
        using (var v = pool.Open())
        {
            ino = WriteFile(v, "f", data);
            paths = MemberPaths(v);
            var stripe = Stripes(v, ino)[2].Value;
            Assert.Equal(Metadata.Namespace.Encoding.StripeCodec.None, stripe.Codec);
            target = new StripeRecordShards(stripe.Shards.Span[1]);
        }
        FlipShard(paths, target.Shard); // the second data shard of stripe 2
        using (var v = pool.Open(readOnly: true))
        {
            var offset = 2 * 2 * Chunk + Chunk + 5000; // inside that shard
            Assert.Equal(data.AsSpan(offset, 4096).ToArray(), ReadAt(v, ino, offset, 4096));
            Assert.True(v.ShardErrors.TryGetValue(target.Shard.Member, out var errors) && errors >= 1);
            var other = Chunk + 5000; // stripe 0, untouched
            Assert.Equal(data.AsSpan(other, 4096).ToArray(), ReadAt(v, ino, other, 4096));
        }
    }

    [Theory]
    [InlineData(4096, 0)] // a small file: one replicated stripe, read whole by its first READ
    [InlineData(20_000, 1)] // past the replication threshold: one erasure-coded stripe, read whole
    [InlineData(3 * 2 * Chunk, 1)] // stripe 1 of a big file read whole in one READ
    public void WholeStripeReads_BypassTheCache_ButStillRebuildACorruptShard_AndCountIt(int size, int shard)
    {
        using var pool = new TempPool();
        var data = RandomBytes(size, 43);
        var index = size > 2 * Chunk ? 1 : 0;
        InodeId ino;
        Dictionary<int, string> paths;
        Metadata.Namespace.Encoding.ShardLocation target;
        using (var v = pool.Open())
        {
            ino = WriteFile(v, "f", data);
            paths = MemberPaths(v);
            target = Stripes(v, ino)[index].Value.Shards.Span[shard];
        }
        FlipShard(paths, target);
        using (var v = pool.Open(readOnly: true))
        {
            var offset = index * 2 * Chunk;
            var length = Math.Min(2 * Chunk, size - offset);
            for (var pass = 0; pass < 2; pass++) // the second read decodes again: nothing was cached
            {
                Assert.Equal(data.AsSpan(offset, length).ToArray(), ReadAt(v, ino, offset, length));
            }
            Assert.True(v.ShardErrors.TryGetValue(target.Member, out var errors) && errors >= 2,
                $"both whole-stripe reads met the corrupt shard on member {target.Member} (errors counted: {errors})");
        }
    }

    [Fact]
    public void RawStripes_CarryBlockChecksums_AndARandomRead_ChecksOnlyTheBlocksItReads()
    {
        const int Block = ArgosVolume.ShardBlockBytes;
        using var pool = new TempPool();
        var data = RandomBytes(4 * 2 * Chunk + 100_000, 44); // four full raw stripes, a raw tail stripe
        InodeId ino;
        Dictionary<int, string> paths;
        Metadata.Namespace.Encoding.ShardLocation target;
        using (var v = pool.Open())
        {
            ino = WriteFile(v, "f", data);
            var text = WriteFile(v, "text", new byte[3 * Chunk]); // compressible: no block checksums
            paths = MemberPaths(v);
            foreach (var (_, stripe) in Stripes(v, ino))
            {
                Assert.Equal(14, stripe.BlockShift);
                Assert.Equal(2 * Crc32C.BlockCount((int)stripe.ChunkBytes, Block), stripe.BlockCrcs.Length);
            }
            Assert.All(Stripes(v, text), s => Assert.False(s.Value.HasBlockCrcs));
            target = Stripes(v, ino)[1].Value.Shards.Span[0];
        }
        FlipAt(paths, target, 5 * Block + 10); // block 5 of data shard 0 of stripe 1
        using (var v = pool.Open(readOnly: true))
        {
            var shardStart = 2 * Chunk; // stripe 1, data shard 0
            void ReadFar() // stripe 3 between two reads of stripe 1: neither looks sequential (no whole-stripe decode)
            {
                var far = 3 * 2 * Chunk + 7 * 4096;
                Assert.Equal(data.AsSpan(far, 4096).ToArray(), ReadAt(v, ino, far, 4096));
            }
            // other blocks of the damaged shard read good: only their own blocks are checked
            foreach (var offset in new[] { 0, Block - 2048, 4 * Block, 6 * Block, Chunk - 4096 })
            {
                Assert.Equal(data.AsSpan(shardStart + offset, 4096).ToArray(), ReadAt(v, ino, shardStart + offset, 4096));
                ReadFar();
            }
            Assert.Empty(v.ShardErrors);
            // a read across blocks 4 and 5 finds block 5 bad and rebuilds the stripe from the others
            var across = shardStart + (5 * Block) - 2048;
            Assert.Equal(data.AsSpan(across, 4096).ToArray(), ReadAt(v, ino, across, 4096));
            Assert.True(v.ShardErrors.TryGetValue(target.Member, out var errors) && errors >= 1);
            // the tail stripe: its short data shard and the zeros after the end of file
            var tail = 4 * 2 * Chunk + 90_000;
            Assert.Equal(data.AsSpan(tail, 10_000).ToArray(), ReadAt(v, ino, tail, 10_000));
        }
    }

    [Fact]
    public void RandomBlockReads_WithAMemberMissing_AreRebuiltFromTheOthers()
    {
        using var pool = new TempPool();
        var data = RandomBytes(6 * 2 * Chunk, 47); // six raw stripes: every member holds data shards
        InodeId ino;
        using (var v = pool.Open())
        {
            ino = WriteFile(v, "f", data);
            Assert.All(Stripes(v, ino), s => Assert.True(s.Value.HasBlockCrcs));
        }
        File.Delete(pool.Images[1]);
        using (var v = pool.Open(readOnly: true, images: [pool.Images[0], pool.Images[2]]))
        {
            Assert.True(v.Info.Degraded);
            var random = new Random(5);
            for (var i = 0; i < 300; i++)
            {
                // far apart, so no read looks sequential: each one tries the block path first
                var offset = (random.Next(data.Length - 20_000) / 7) * 7;
                var length = random.Next(1, 20_000);
                Assert.Equal(data.AsSpan(offset, length).ToArray(), ReadAt(v, ino, offset, length));
                var far = (offset + 3 * 2 * Chunk) % (data.Length - 4096);
                Assert.Equal(data.AsSpan(far, 4096).ToArray(), ReadAt(v, ino, far, 4096));
            }
        }
    }

    [Fact]
    public void APoolWithoutTheFeature_WritesNoBlockChecksums_AndReadsShardsWhole()
    {
        using var pool = new TempPool(incompatFeatures: 0);
        var data = RandomBytes(2 * 2 * Chunk, 45);
        InodeId ino;
        Dictionary<int, string> paths;
        Metadata.Namespace.Encoding.ShardLocation target;
        using (var v = pool.Open())
        {
            Assert.Equal(0UL, v.Log.IncompatFeatures);
            ino = WriteFile(v, "f", data);
            Assert.All(Stripes(v, ino), s => Assert.False(s.Value.HasBlockCrcs));
            paths = MemberPaths(v);
            target = Stripes(v, ino)[0].Value.Shards.Span[0];
        }
        FlipAt(paths, target, 5 * ArgosVolume.ShardBlockBytes);
        using (var v = pool.Open(readOnly: true))
        {
            Assert.Equal(data.AsSpan(0, 4096).ToArray(), ReadAt(v, ino, 0, 4096));
            Assert.True(v.ShardErrors.ContainsKey(target.Member), "the whole shard was checked, so the damage elsewhere in it was found");
        }
    }

    [Fact]
    public void SequentialReads_InWholeStripes_ReadNothingAhead_WhileSmallReads_AreReadAheadOf()
    {
        using var pool = new TempPool();
        var data = RandomBytes(10 * 2 * Chunk, 46); // ten raw stripes
        InodeId ino;
        using (var v = pool.Open())
        {
            ino = WriteFile(v, "f", data);
        }
        using var ro = ReadCountingDevice.OpenReadOnly(pool, out var reads);
        var before = reads();
        // 1 MiB READs, as the kernel sends with the mount's readahead of two stripes: the demand reads only
        for (var offset = 0; offset < 4 * 2 * Chunk; offset += 4 * Chunk)
        {
            Assert.Equal(data.AsSpan(offset, 4 * Chunk).ToArray(), ReadAt(ro, ino, offset, 4 * Chunk));
        }
        Thread.Sleep(300); // a readahead thread, had one started, would have read by now
        Assert.Equal(before + (4 * 2), reads()); // 4 stripes × 2 data shards
        // 64 KiB READs carry on from stripe 4: the daemon reads the next stripes ahead
        var small = 4 * 2 * Chunk;
        Assert.Equal(data.AsSpan(small, 65536).ToArray(), ReadAt(ro, ino, small, 65536));
        var expected = before + (4 * 2) + 2 + (4 * 2); // stripe 4 on demand, stripes 5-8 ahead
        for (var i = 0; i < 100 && reads() < expected; i++) Thread.Sleep(50);
        Assert.Equal(expected, reads());
        for (var offset = small + 65536; offset < 9 * 2 * Chunk; offset += 65536)
        {
            Assert.Equal(data.AsSpan(offset, 65536).ToArray(), ReadAt(ro, ino, offset, 65536));
        }
        for (var i = 0; i < 100 && reads() < expected + 2; i++) Thread.Sleep(50);
        Assert.Equal(expected + 2, reads()); // stripes 5-8 came from the cache; stripe 9 was read ahead meanwhile
    }

    private static void FlipAt(IReadOnlyDictionary<int, string> paths, Metadata.Namespace.Encoding.ShardLocation shard, int offset)
    {
        using var f = new FileStream(paths[shard.Member], FileMode.Open, FileAccess.ReadWrite);
        var buffer = new byte[16];
        f.Position = (long)shard.OffsetBytes + offset;
        f.ReadExactly(buffer);
        for (var i = 0; i < buffer.Length; i++) buffer[i] ^= 0xFF;
        f.Position = (long)shard.OffsetBytes + offset;
        f.Write(buffer);
    }

    private readonly record struct StripeRecordShards(Metadata.Namespace.Encoding.ShardLocation Shard);
}
