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

    private readonly record struct StripeRecordShards(Metadata.Namespace.Encoding.ShardLocation Shard);
}
