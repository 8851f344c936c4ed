// Suggested associated data for a sealed stripe: binds the ciphertext to its pool, file, position and
// decoded form, so moving a stripe to another file or offset, or editing the compression fields of its
// (unencrypted) header, fails authentication. Layout, 37 bytes, little-endian:
//
//   off size field
//     0   16 poolId          the pool UUID
//    16    8 inode           InodeId
//    24    8 stripeIndex     StripeIndex within the file
//    32    1 codec           CompressionCodec of the payload
//    33    4 logicalLength   decompressed payload length
//    37                      end
using System.Buffers.Binary;
using Argos.Format;

namespace Argos.DataPath.Codecs;

/// <summary>Builds the 37-byte associated data of a sealed stripe (see the layout above).</summary>
public static class StripeAssociatedData
{
    public const int PoolIdBytes = 16;
    public const int Size = EndOffset;

    private const int PoolIdOffset = 0;
    private const int InodeOffset = PoolIdOffset + PoolIdBytes;
    private const int StripeIndexOffset = InodeOffset + 8;
    private const int CodecOffset = StripeIndexOffset + 8;
    private const int LogicalLengthOffset = CodecOffset + 1;
    private const int EndOffset = LogicalLengthOffset + 4;

    public static void Write(Span<byte> destination, ReadOnlySpan<byte> poolId, InodeId inode, StripeIndex stripe,
        CompressionCodec codec, int logicalLength)
    {
        if (poolId.Length != PoolIdBytes)
        {
            throw new ArgumentException($"pool id must be {PoolIdBytes} bytes, got {poolId.Length}", nameof(poolId));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(logicalLength);
        if (destination.Length < EndOffset)
        {
            throw new ArgumentException($"associated data needs {EndOffset} bytes, got {destination.Length}", nameof(destination));
        }

        poolId.CopyTo(destination[PoolIdOffset..]);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[InodeOffset..], inode.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[StripeIndexOffset..], stripe.Value);
        destination[CodecOffset] = (byte)codec;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[LogicalLengthOffset..], (uint)logicalLength);
    }
}
