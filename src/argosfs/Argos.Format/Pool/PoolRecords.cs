// Key/value layouts of the records the metadata log owns (docs/format.md §5):
//
//   Member       key: u32 index                 value: 0 16 member UUID, 16 u8 state, 17..24 reserved,
//                                                       24 i64 capacity, 32 i64 data offset, 40 i64 data length (48 bytes)
//   AllocExtent  key: u32 member ‖ i64 offset ‖ i64 length   value: empty  (put = allocated, delete = freed;
//                the length is in the key so that a delete names the whole extent)
//   AllocBitmap  key: u32 member ‖ u32 page     value: 4096 bytes, bit i of byte j = block page·32768 + 8j + i of
//                                                       the member's data region (1 = allocated); all-zero pages omitted
using System.Buffers.Binary;

namespace Argos.Format.Pool;

public enum MemberState : byte
{
    Online = 0,
    /// <summary>Left the pool for good; no longer counted as missing.</summary>
    Removed = 1,
    Failed = 2,
}

public readonly record struct MemberRecord(
    MemberIndex Index, Guid MemberUuid, MemberState State, long CapacityBytes, long DataOffset, long DataLength)
{
    public const int KeySize = 4;
    public const int ValueSize = 48;

    public void WriteKey(Span<byte> key) => BinaryPrimitives.WriteUInt32LittleEndian(key, (uint)Index.Value);

    public void WriteValue(Span<byte> value)
    {
        value[..ValueSize].Clear();
        FieldWriter.WriteUuid(value, MemberUuid);
        value[16] = (byte)State;
        BinaryPrimitives.WriteInt64LittleEndian(value[24..], CapacityBytes);
        BinaryPrimitives.WriteInt64LittleEndian(value[32..], DataOffset);
        BinaryPrimitives.WriteInt64LittleEndian(value[40..], DataLength);
    }

    public static bool TryDecodeKey(ReadOnlySpan<byte> key, out MemberIndex index)
    {
        var c = new SpanCursor(key);
        bool ok = c.TryReadU32(out uint i) && c.Remaining == 0 && i < int.MaxValue;
        index = new MemberIndex((int)i);
        return ok;
    }

    public static bool TryDecode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out MemberRecord record)
    {
        record = default;
        if (!TryDecodeKey(key, out MemberIndex index) || value.Length != ValueSize)
        {
            return false;
        }
        var c = new SpanCursor(value);
        c.TryReadUuid(out Guid uuid);
        c.TryReadU8(out byte state);
        c.TrySkip(7);
        c.TryReadI64(out long capacity);
        c.TryReadI64(out long dataOffset);
        c.TryReadI64(out long dataLength);
        if (state > (byte)MemberState.Failed)
        {
            return false;
        }
        record = new MemberRecord(index, uuid, (MemberState)state, capacity, dataOffset, dataLength);
        return true;
    }
}

public static class AllocRecords
{
    public const int ExtentKeySize = 20;
    public const int BitmapKeySize = 8;
    public const int BitmapPageBytes = MemberLayout.BlockSize;
    public const int BlocksPerBitmapPage = BitmapPageBytes * 8;

    public static byte[] ExtentKey(Extent extent)
    {
        var key = new byte[ExtentKeySize];
        BinaryPrimitives.WriteUInt32LittleEndian(key, (uint)extent.Member.Value);
        BinaryPrimitives.WriteInt64LittleEndian(key.AsSpan(4), extent.OffsetBytes);
        BinaryPrimitives.WriteInt64LittleEndian(key.AsSpan(12), extent.LengthBytes);
        return key;
    }

    public static bool TryDecodeExtentKey(ReadOnlySpan<byte> key, out Extent extent)
    {
        var c = new SpanCursor(key);
        bool ok = c.TryReadU32(out uint m) & c.TryReadI64(out long offset) & c.TryReadI64(out long length);
        extent = new Extent(new MemberIndex((int)m), offset, length);
        return ok && c.Remaining == 0 && m < int.MaxValue && offset >= 0 && length > 0;
    }

    public static void WriteBitmapKey(Span<byte> key, MemberIndex member, int page)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(key, (uint)member.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(key[4..], (uint)page);
    }

    public static bool TryDecodeBitmapKey(ReadOnlySpan<byte> key, out MemberIndex member, out int page)
    {
        var c = new SpanCursor(key);
        bool ok = c.TryReadU32(out uint m) & c.TryReadU32(out uint p);
        member = new MemberIndex((int)m);
        page = (int)p;
        return ok && c.Remaining == 0 && m < int.MaxValue && p < int.MaxValue;
    }
}
