using System.Buffers.Binary;

namespace Argos.Metadata.Namespace.Encoding;

/// <summary>
/// Namespace counters (RecordKind.NamespaceCounter): the next inode number to hand out and the
/// generation epoch stamped on new inodes (bumped when inode numbers could repeat, e.g. after a
/// rollback to a snapshot, so (ino, generation) never names two different files).
/// <code>
/// key: empty (0 bytes)
/// value, layout version 1 (24 bytes)
///   0  u8   version = 1
///   1  u8[7] reserved, 0
///   8  u64  next inode number (≥ 2)
///  16  u64  generation epoch (≥ 1)
/// </code>
/// </summary>
public static class CounterCodec
{
    public const byte Version = 1;
    public const int ValueLength = 24;

    public static byte[] EncodeValue(ulong nextInode, ulong generationEpoch)
    {
        var value = new byte[ValueLength];
        value[0] = Version;
        BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(8), nextInode);
        BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(16), generationEpoch);
        return value;
    }

    public static bool TryDecodeValue(ReadOnlySpan<byte> value, out ulong nextInode, out ulong generationEpoch, out RecordDecodeError error)
    {
        nextInode = 0;
        generationEpoch = 0;
        if (value.Length < 1)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }
        if (value[0] != Version)
        {
            error = RecordDecodeError.UnsupportedVersion;
            return false;
        }
        if (value.Length != ValueLength)
        {
            error = value.Length < ValueLength ? RecordDecodeError.Truncated : RecordDecodeError.TrailingBytes;
            return false;
        }
        nextInode = BinaryPrimitives.ReadUInt64LittleEndian(value.Slice(8));
        generationEpoch = BinaryPrimitives.ReadUInt64LittleEndian(value.Slice(16));
        if (value.Slice(1, 7).IndexOfAnyExcept((byte)0) >= 0 || nextInode < 2 || generationEpoch == 0)
        {
            error = RecordDecodeError.InvalidField;
            return false;
        }
        error = RecordDecodeError.None;
        return true;
    }
}
