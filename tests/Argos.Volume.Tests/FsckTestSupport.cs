using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Storage;

namespace Argos.Volume.Tests;

/// <summary>Helpers for fsck, scrub and encryption tests: files, shard locations, byte flips, raw record edits.</summary>
internal static class FsckTestSupport
{
    public static readonly Credentials Root = Credentials.Root;

    public static byte[] RandomBytes(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    public static InodeId WriteFile(ArgosVolume v, string name, byte[] data, ulong offset = 0)
    {
        var ino = v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, Encoding.UTF8.GetBytes(name), 0x81A4, Root)).Ino;
        v.Write(ino, offset, data, Root);
        v.Flush(ino);
        return ino;
    }

    public static InodeId Lookup(ArgosVolume v, string name) => v.Namespace.Lookup(InodeId.Root, Encoding.UTF8.GetBytes(name)).Ino;

    public static byte[] ReadAll(ArgosVolume v, InodeId ino)
    {
        var buffer = new byte[v.GetAttr(ino).Size];
        var n = v.Read(ino, 0, buffer);
        if (n != buffer.Length) throw new InvalidOperationException($"short read {n} of {buffer.Length}");
        return buffer;
    }

    public static List<KeyValuePair<StripeIndex, StripeRecord>> Stripes(ArgosVolume v, InodeId ino)
    {
        var list = new List<KeyValuePair<StripeIndex, StripeRecord>>();
        v.Namespace.GetStripes(ino, new StripeIndex(0), int.MaxValue, list);
        return list;
    }

    /// <summary>Where each member's image is, by member index.</summary>
    public static Dictionary<int, string> MemberPaths(ArgosVolume v) =>
        v.Info.Members.Where(m => m.Path is not null).ToDictionary(m => m.Index.Value, m => m.Path!);

    /// <summary>Inverts bytes inside one stored shard, in the image file (the pool must be closed).</summary>
    public static void FlipShard(IReadOnlyDictionary<int, string> paths, ShardLocation shard, int bytes = 16)
    {
        using var f = new FileStream(paths[shard.Member], FileMode.Open, FileAccess.ReadWrite);
        var at = (long)shard.OffsetBytes + 100;
        var buffer = new byte[bytes];
        f.Position = at;
        f.ReadExactly(buffer);
        for (var i = 0; i < buffer.Length; i++) buffer[i] ^= 0xFF;
        f.Position = at;
        f.Write(buffer);
    }

    /// <summary>Commits raw record ops behind the namespace's back (corruption for tests).</summary>
    public static void CommitRaw(ArgosVolume v, params RecordOp[] ops)
    {
        v.Log.Append(ops);
        foreach (var op in ops)
        {
            if (op.Kind != RecordKind.AllocExtent) v.Namespace.Apply(op);
        }
        v.Log.Flush();
    }

    public static InodeRecord InodeRecordOf(ArgosVolume v, InodeId ino)
    {
        var key = InodeRecordCodec.EncodeKey(ino);
        foreach (var op in v.Namespace.EnumerateAll())
        {
            if (op.Kind == RecordKind.Inode && op.Key.Span.SequenceEqual(key) &&
                InodeRecordCodec.TryDecodeValue(ino, op.Value!.Value.Span, out var record, out _))
            {
                return record;
            }
        }
        throw new InvalidOperationException($"inode {ino} has no record");
    }

    public static bool ImagesContain(IEnumerable<string> images, byte[] needle)
    {
        foreach (var image in images)
        {
            using var f = new FileStream(image, FileMode.Open, FileAccess.Read);
            var buffer = new byte[8 << 20];
            var carry = 0;
            int read;
            while ((read = f.Read(buffer, carry, buffer.Length - carry)) > 0)
            {
                var span = buffer.AsSpan(0, carry + read);
                if (span.IndexOf(needle) >= 0) return true;
                carry = Math.Min(needle.Length - 1, span.Length);
                span[^carry..].CopyTo(buffer);
            }
        }
        return false;
    }
}

/// <summary>Counts device reads (for "metadata-only fsck reads no shard").</summary>
internal sealed class ReadCountingDevice(IMemberDevice inner) : DelegatingDevice(inner)
{
    private long _reads;
    public long Reads => Interlocked.Read(ref _reads);
    public override void ReadAt(long offsetBytes, Span<byte> buffer)
    {
        Interlocked.Increment(ref _reads);
        base.ReadAt(offsetBytes, buffer);
    }

    /// <summary>Opens the pool read-only with every member counting its reads; <paramref name="reads"/> sums them.</summary>
    public static ArgosVolume OpenReadOnly(TempPool pool, out Func<long> reads)
    {
        var devices = new List<ReadCountingDevice>();
        reads = () =>
        {
            lock (devices) return devices.Sum(d => d.Reads);
        };
        return ArgosVolume.Open(pool.Images, new VolumeOpenOptions
        {
            ReadOnly = true,
            DeviceWrapper = d =>
            {
                var c = new ReadCountingDevice(d);
                lock (devices) devices.Add(c);
                return c;
            },
        });
    }
}
