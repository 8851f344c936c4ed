// Checkpoint payload (docs/format.md §3.2): a sequence of frames written into the extents listed by the
// root slot, in order. The root slot's payload length and BLAKE2b-128 cover the whole sequence.
//
//   frame:  0  u32 magic "ACF1"
//           4  u32 body length (≤ 4 MiB)
//           8  u32 op count
//           12 u32 CRC32C of (frame header with this field zeroed ‖ body)
//           16 body: ops (OpCodec), never split across frames
using System.Buffers.Binary;

namespace Argos.Format.Pool;

public static class CheckpointFrame
{
    public const int HeaderSize = 16;
    public const uint MagicValue = 0x31464341; // "ACF1" little-endian
    public const int MaxBodyBytes = 4 * 1024 * 1024;
    /// <summary>Writers close a frame once its body passes this size.</summary>
    public const int TargetBodyBytes = 256 * 1024;

    public static void Seal(Span<byte> frame, int bodyLength, int opCount)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(frame, MagicValue);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], (uint)bodyLength);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[8..], (uint)opCount);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[12..], 0);
        uint crc = Crc32C.Compute(frame[..(HeaderSize + bodyLength)]);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[12..], crc);
    }

    public static bool TryReadHeader(ReadOnlySpan<byte> header, out int bodyLength, out int opCount, out string error)
    {
        bodyLength = 0;
        opCount = 0;
        var c = new SpanCursor(header);
        if (!c.TryReadU32(out uint magic) || !c.TryReadU32(out uint length) || !c.TryReadU32(out uint count))
        {
            error = "checkpoint frame header truncated";
            return false;
        }
        if (magic != MagicValue)
        {
            error = "checkpoint frame magic missing";
            return false;
        }
        if (length > MaxBodyBytes)
        {
            error = $"checkpoint frame body length {length} exceeds {MaxBodyBytes}";
            return false;
        }
        bodyLength = (int)length;
        opCount = (int)count;
        error = "";
        return true;
    }

    public static bool VerifyCrc(ReadOnlySpan<byte> frame)
    {
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(frame[12..]);
        Span<byte> h = stackalloc byte[HeaderSize];
        frame[..HeaderSize].CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0);
        uint crc = Crc32C.Append(Crc32C.Compute(h), frame[HeaderSize..]);
        return crc == stored;
    }
}
