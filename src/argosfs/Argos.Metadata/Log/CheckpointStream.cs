// Checkpoint payload I/O (docs/format.md §3.2): frames of ops written once, fanned out to every member's
// own extents (allocated as the stream grows: 1 MiB, then doubling up to 64 MiB per extent, at most 200).
using Argos.Format;
using Argos.Format.Pool;
using Argos.Storage;

namespace Argos.Metadata.Log;

/// <summary>Builds frames and writes them to the checkpoint extents of every target member.</summary>
internal sealed class CheckpointWriter
{
    private const long FirstExtentBytes = MemberLayout.MiB;
    private const long MaxExtentBytes = 64 * MemberLayout.MiB;
    private const long MinExtentBytes = 64 * 1024;

    private readonly PoolAllocator _allocator;
    private readonly Target[] _targets;
    private readonly byte[] _frame = new byte[CheckpointFrame.HeaderSize + CheckpointFrame.MaxBodyBytes];
    private int _bodyLength;
    private int _opCount;
    private Blake2b _hash = Blake2b.Create(RootSlot.HashLength);

    public CheckpointWriter(PoolAllocator allocator, IEnumerable<(MemberIndex Index, IMemberDevice Device)> targets)
    {
        _allocator = allocator;
        _targets = targets.Select(t => new Target(t.Index, t.Device)).ToArray();
    }

    public long PayloadLength { get; private set; }

    public void Add(byte kind, bool isDelete, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int need = OpCodec.EncodedLength(key.Length, value.Length);
        if (_bodyLength + need > CheckpointFrame.MaxBodyBytes)
        {
            FlushFrame();
        }
        OpCodec.Write(_frame.AsSpan(CheckpointFrame.HeaderSize + _bodyLength), kind, isDelete, key, value);
        _bodyLength += need;
        _opCount++;
        if (_bodyLength >= CheckpointFrame.TargetBodyBytes)
        {
            FlushFrame();
        }
    }

    /// <summary>Makes sure every target has room for at least `bytes` more payload without allocating later.</summary>
    public void Reserve(long bytes)
    {
        FlushFrame();
        foreach (Target t in _targets)
        {
            while (t.Capacity - PayloadLength < bytes)
            {
                Grow(t, bytes - (t.Capacity - PayloadLength));
            }
        }
    }

    public void FlushFrame()
    {
        if (_opCount == 0)
        {
            return;
        }
        int total = CheckpointFrame.HeaderSize + _bodyLength;
        CheckpointFrame.Seal(_frame, _bodyLength, _opCount);
        ReadOnlySpan<byte> bytes = _frame.AsSpan(0, total);
        _hash.Update(bytes);
        foreach (Target t in _targets)
        {
            while (t.Capacity - PayloadLength < total)
            {
                Grow(t, total - (t.Capacity - PayloadLength));
            }
        }
        byte[] frame = _frame;
        long at = PayloadLength;
        Parallel.ForEach(_targets, t => t.Write(at, frame.AsSpan(0, total)));
        PayloadLength += total;
        _bodyLength = 0;
        _opCount = 0;
    }

    public byte[] FinishHash()
    {
        FlushFrame();
        var digest = new byte[RootSlot.HashLength];
        _hash.Finish(digest);
        return digest;
    }

    public IReadOnlyList<Extent> ExtentsOf(MemberIndex member) => _targets.First(t => t.Index == member).Extents;

    public IEnumerable<Extent> AllExtents => _targets.SelectMany(t => t.Extents);

    private void Grow(Target t, long atLeast)
    {
        if (t.Extents.Count >= RootSlot.MaxExtents)
        {
            throw new StorageException("checkpoint-fragmented",
                $"member {t.Index}: the checkpoint needs more than {RootSlot.MaxExtents} extents (free space too fragmented) — free space or add a member");
        }
        long want = Math.Max(atLeast, Math.Clamp(t.Capacity, FirstExtentBytes, MaxExtentBytes));
        want = MemberLayout.AlignUp(want, MemberLayout.BlockSize);
        while (true)
        {
            try
            {
                t.Extents.Add(_allocator.AllocateForMetadata(t.Index, want));
                t.Capacity += want;
                return;
            }
            catch (NoSpaceException) when (want / 2 >= MinExtentBytes)
            {
                want = MemberLayout.AlignUp(want / 2, MemberLayout.BlockSize);
            }
        }
    }

    private sealed class Target(MemberIndex index, IMemberDevice device)
    {
        public MemberIndex Index { get; } = index;
        public List<Extent> Extents { get; } = new();
        public long Capacity { get; set; }

        public void Write(long payloadOffset, ReadOnlySpan<byte> bytes)
        {
            long skipped = 0;
            foreach (Extent e in Extents)
            {
                if (bytes.IsEmpty)
                {
                    return;
                }
                if (payloadOffset >= skipped + e.LengthBytes)
                {
                    skipped += e.LengthBytes;
                    continue;
                }
                long within = payloadOffset - skipped;
                int n = (int)Math.Min(bytes.Length, e.LengthBytes - within);
                device.WriteAt(e.OffsetBytes + within, bytes[..n]);
                bytes = bytes[n..];
                payloadOffset += n;
                skipped += e.LengthBytes;
            }
            if (!bytes.IsEmpty)
            {
                throw new InvalidOperationException("checkpoint write beyond the allocated extents");
            }
        }
    }
}

/// <summary>Reads a checkpoint payload back: pass 1 verifies the hash, pass 2 parses frames.</summary>
internal static class CheckpointReader
{
    private const int ChunkBytes = 1024 * 1024;

    public delegate void OpVisitor(byte kind, bool isDelete, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Null when the payload's BLAKE2b-128 matches the root slot; otherwise why not.</summary>
    public static string? Verify(IMemberDevice device, RootSlot root)
    {
        try
        {
            var hash = Blake2b.Create(RootSlot.HashLength);
            var buffer = new byte[ChunkBytes];
            long done = 0;
            foreach ((long offset, int length) in Chunks(root, ChunkBytes))
            {
                device.ReadAt(offset, buffer.AsSpan(0, length));
                hash.Update(buffer.AsSpan(0, length));
                done += length;
            }
            Span<byte> digest = stackalloc byte[RootSlot.HashLength];
            hash.Finish(digest);
            return digest.SequenceEqual(root.PayloadHash) ? null : "checkpoint payload hash mismatch";
        }
        catch (Exception e) when (e is IOException or StorageException)
        {
            return "checkpoint unreadable: " + e.Message;
        }
    }

    /// <summary>Parses every frame; returns null or the first format error (the hash was verified first).</summary>
    public static string? Read(IMemberDevice device, RootSlot root, OpVisitor visit)
    {
        var stream = new PayloadStream(device, root);
        var header = new byte[CheckpointFrame.HeaderSize];
        byte[] frame = [];
        long pos = 0;
        while (pos < root.PayloadLength)
        {
            if (root.PayloadLength - pos < CheckpointFrame.HeaderSize)
            {
                return $"checkpoint frame header truncated at payload offset {pos}";
            }
            stream.Read(pos, header);
            if (!CheckpointFrame.TryReadHeader(header, out int bodyLength, out int opCount, out string error))
            {
                return $"{error} at payload offset {pos}";
            }
            int total = CheckpointFrame.HeaderSize + bodyLength;
            if (pos + total > root.PayloadLength)
            {
                return $"checkpoint frame at payload offset {pos} runs past the payload";
            }
            if (frame.Length < total)
            {
                frame = new byte[total];
            }
            stream.Read(pos, frame.AsSpan(0, total));
            if (!CheckpointFrame.VerifyCrc(frame.AsSpan(0, total)))
            {
                return $"checkpoint frame CRC mismatch at payload offset {pos}";
            }
            var cursor = new SpanCursor(frame.AsSpan(CheckpointFrame.HeaderSize, bodyLength));
            for (int i = 0; i < opCount; i++)
            {
                if (!OpCodec.TryRead(ref cursor, out byte kind, out bool isDelete, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value, out error))
                {
                    return $"checkpoint op {i} of the frame at payload offset {pos}: {error}";
                }
                visit(kind, isDelete, key, value);
            }
            if (cursor.Remaining != 0)
            {
                return $"checkpoint frame at payload offset {pos} has {cursor.Remaining} trailing bytes";
            }
            pos += total;
        }
        return null;
    }

    private static IEnumerable<(long Offset, int Length)> Chunks(RootSlot root, int chunk)
    {
        long left = root.PayloadLength;
        foreach (Extent e in root.Extents)
        {
            long off = 0;
            while (left > 0 && off < e.LengthBytes)
            {
                int n = (int)Math.Min(Math.Min(chunk, e.LengthBytes - off), left);
                yield return (e.OffsetBytes + off, n);
                off += n;
                left -= n;
            }
        }
    }

    private sealed class PayloadStream(IMemberDevice device, RootSlot root)
    {
        public void Read(long payloadOffset, Span<byte> destination)
        {
            long skipped = 0;
            foreach (Extent e in root.Extents)
            {
                if (destination.IsEmpty)
                {
                    return;
                }
                if (payloadOffset >= skipped + e.LengthBytes)
                {
                    skipped += e.LengthBytes;
                    continue;
                }
                long within = payloadOffset - skipped;
                int n = (int)Math.Min(destination.Length, e.LengthBytes - within);
                device.ReadAt(e.OffsetBytes + within, destination[..n]);
                destination = destination[n..];
                payloadOffset += n;
                skipped += e.LengthBytes;
            }
            if (!destination.IsEmpty)
            {
                throw new InvalidDataException("checkpoint read beyond its extents");
            }
        }
    }
}
