// One record op inside a journal record payload or a checkpoint frame body (docs/format.md §4.2):
//
//   0  u8  record kind (RecordKind)
//   1  u8  op: 1 = put, 2 = delete
//   2  u16 key length   (≤ 65535)
//   4  u32 value length (≤ 1 MiB; 0 for delete)
//   8  key bytes, then value bytes
using System.Buffers.Binary;

namespace Argos.Format.Pool;

public static class OpCodec
{
    public const int HeaderSize = 8;
    public const byte OpPut = 1;
    public const byte OpDelete = 2;
    public const int MaxKeyBytes = ushort.MaxValue;
    public const int MaxValueBytes = 1024 * 1024;

    public static int EncodedLength(int keyLength, int valueLength) => HeaderSize + keyLength + valueLength;

    public static int Write(Span<byte> destination, byte kind, bool isDelete, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.Length > MaxKeyBytes)
        {
            throw new ArgumentException($"record key of {key.Length} bytes exceeds {MaxKeyBytes}");
        }
        if (value.Length > MaxValueBytes)
        {
            throw new ArgumentException($"record value of {value.Length} bytes exceeds {MaxValueBytes}; split it");
        }
        if (isDelete && value.Length != 0)
        {
            throw new ArgumentException("a delete carries no value");
        }
        destination[0] = kind;
        destination[1] = isDelete ? OpDelete : OpPut;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], (ushort)key.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)value.Length);
        key.CopyTo(destination[HeaderSize..]);
        value.CopyTo(destination[(HeaderSize + key.Length)..]);
        return HeaderSize + key.Length + value.Length;
    }

    public static bool TryRead(ref SpanCursor cursor, out byte kind, out bool isDelete,
        out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value, out string error)
    {
        key = default;
        value = default;
        isDelete = false;
        if (!cursor.TryReadU8(out kind) || !cursor.TryReadU8(out byte op) ||
            !cursor.TryReadU16(out ushort keyLength) || !cursor.TryReadU32(out uint valueLength))
        {
            error = "op header truncated";
            return false;
        }
        if (op != OpPut && op != OpDelete)
        {
            error = $"unknown op code {op}";
            return false;
        }
        if (valueLength > MaxValueBytes || (op == OpDelete && valueLength != 0))
        {
            error = $"op value length {valueLength} invalid";
            return false;
        }
        if (!cursor.TryReadBytes(keyLength, out key) || !cursor.TryReadBytes((int)valueLength, out value))
        {
            error = "op key/value truncated";
            return false;
        }
        isDelete = op == OpDelete;
        error = "";
        return true;
    }
}
