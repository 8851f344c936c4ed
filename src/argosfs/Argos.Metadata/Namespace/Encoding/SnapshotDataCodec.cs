using System.Buffers.Binary;
using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Records;

namespace Argos.Metadata.Namespace.Encoding;

/// <summary>
/// Keys of the records a named snapshot owns (docs/format-records.md, "Snapshots").
/// <code>
/// SnapshotData (0x0E)  key: 0 u64 snapshot id (≠ 0) ‖ 8 u8 frozen kind ‖ 9 frozen key (0..)
///                      value: the frozen record's value, byte for byte
///                      frozen kind ∈ { Inode, Dirent, Xattr, Stripe, NamespaceCounter }
/// PinnedExtent (0x0B)  key: 0 u64 snapshot id (≠ 0) ‖ 8 u32 member ‖ 12 u64 offset  (20 bytes)
///                      value: 0 u64 length in bytes (block-aligned, &gt; 0)     (8 bytes)
/// </code>
/// </summary>
public static class SnapshotDataCodec
{
    private const int IdOffset = 0;
    private const int KindOffset = IdOffset + 8;
    private const int FrozenKeyOffset = KindOffset + 1;
    public const int DataKeyMinLength = FrozenKeyOffset;

    private const int PinMemberOffset = IdOffset + 8;
    private const int PinOffsetOffset = PinMemberOffset + 4;
    public const int PinKeyLength = PinOffsetOffset + 8;
    public const int PinValueLength = 8;

    /// <summary>The kinds a snapshot freezes: the namespace tree and its data map.</summary>
    public static bool IsFrozenKind(RecordKind kind) =>
        kind is RecordKind.Inode or RecordKind.Dirent or RecordKind.Xattr or RecordKind.Stripe or RecordKind.NamespaceCounter;

    public static byte[] EncodeDataKey(ulong snapshotId, RecordKind kind, ReadOnlySpan<byte> frozenKey)
    {
        var key = new byte[FrozenKeyOffset + frozenKey.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(key.AsSpan(IdOffset), snapshotId);
        key[KindOffset] = (byte)kind;
        frozenKey.CopyTo(key.AsSpan(FrozenKeyOffset));
        return key;
    }

    /// <summary>Splits a SnapshotData key; <paramref name="kindAndKey"/> is frozen kind ‖ frozen key.</summary>
    public static bool TryDecodeDataKey(ReadOnlySpan<byte> key, out ulong snapshotId, out ReadOnlySpan<byte> kindAndKey)
    {
        snapshotId = 0;
        kindAndKey = default;
        if (key.Length < DataKeyMinLength)
        {
            return false;
        }
        ulong id = BinaryPrimitives.ReadUInt64LittleEndian(key[IdOffset..]);
        if (id == 0 || !IsFrozenKind((RecordKind)key[KindOffset]))
        {
            return false;
        }
        snapshotId = id;
        kindAndKey = key[KindOffset..];
        return true;
    }

    public static byte[] EncodePinKey(ulong snapshotId, MemberIndex member, long offsetBytes)
    {
        var key = new byte[PinKeyLength];
        BinaryPrimitives.WriteUInt64LittleEndian(key.AsSpan(IdOffset), snapshotId);
        BinaryPrimitives.WriteUInt32LittleEndian(key.AsSpan(PinMemberOffset), (uint)member.Value);
        BinaryPrimitives.WriteInt64LittleEndian(key.AsSpan(PinOffsetOffset), offsetBytes);
        return key;
    }

    public static byte[] EncodePinValue(long lengthBytes)
    {
        var value = new byte[PinValueLength];
        BinaryPrimitives.WriteInt64LittleEndian(value, lengthBytes);
        return value;
    }

    public static bool TryDecodePin(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out ulong snapshotId, out Extent extent)
    {
        snapshotId = 0;
        extent = default;
        if (key.Length != PinKeyLength || value.Length != PinValueLength)
        {
            return false;
        }
        ulong id = BinaryPrimitives.ReadUInt64LittleEndian(key[IdOffset..]);
        uint member = BinaryPrimitives.ReadUInt32LittleEndian(key[PinMemberOffset..]);
        long offset = BinaryPrimitives.ReadInt64LittleEndian(key[PinOffsetOffset..]);
        long length = BinaryPrimitives.ReadInt64LittleEndian(value);
        if (id == 0 || member > ushort.MaxValue || offset < 0 || length <= 0 || length % MemberLayout.BlockSize != 0)
        {
            return false;
        }
        snapshotId = id;
        extent = new Extent(new MemberIndex((int)member), offset, length);
        return true;
    }

    /// <summary>The allocated extents a stripe's shards occupy (shard length rounded up to a block), as the allocator holds them.</summary>
    public static IEnumerable<Extent> ExtentsOf(StripeRecord stripe)
    {
        foreach (ShardLocation loc in stripe.Shards.Span.ToArray())
        {
            long length = ((long)loc.LengthBytes + MemberLayout.BlockSize - 1) / MemberLayout.BlockSize * MemberLayout.BlockSize;
            yield return new Extent(new MemberIndex(loc.Member), (long)loc.OffsetBytes, length);
        }
    }
}
