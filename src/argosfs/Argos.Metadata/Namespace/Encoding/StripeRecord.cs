using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Argos.Format;

namespace Argos.Metadata.Namespace.Encoding;

/// <summary>
/// Stripe record (RecordKind.Stripe): where one stripe of a file lives. The data path fills it; the
/// namespace stores it with the inode and deletes it with the inode.
/// <code>
/// key (16 bytes)
///   0  u64  inode (≠ 0)
///   8  u64  stripe index (file offset / stripe data size)
///
/// value, layout version 1 (68 + 18·n bytes)
///   0  u8   version = 1
///   1  u8   kind: 1 erasure-coded (k data + m parity shards), 2 replicated (m+1 full copies, k = 1)
///   2  u8   k (≥ 1)
///   3  u8   m
///   4  u8   codec: 0 none, 1 lz4, 2 zstd
///   5  u8   flags: bit 0 encrypted (XChaCha20-Poly1305); bit 1 block checksums follow the shards; other bits 0
///   6  u16  n = shard count: k+m (erasure-coded) or m+1 (replicated); entry i is shard i
///   8  u32  chunk bytes (shard payload size)
///  12  u64  raw length: plaintext bytes of file data in this stripe
///  20  u64  stored length: bytes after compression (+ encryption tag) before splitting
///  28  u64  birth transaction id
///  36  u64  plaintext checksum (CRC32C in the low 32 bits, or a 64-bit hash; the data path's choice)
///  44  u8[24] nonce (zero when not encrypted)
///  68  n × shard { u16 member index, u64 byte offset on the member, u32 length, u32 CRC32C of the stored shard }
///
/// with flags bit 1 (erasure-coded only; the pool has incompat feature StripeBlockChecksums), after the shards:
///   u8   block shift b (12..24): blocks of B = 2^b bytes, the last one of a shard short when B ∤ chunk
///   k × ceil(chunk / B) × u32  CRC32C of each block of data shard 0, then of data shard 1, …
///        the blocks of data shard i combine to shard i's CRC32C (Crc32C.CombineBlocks), or the record is invalid
/// </code>
/// </summary>
public readonly record struct StripeRecord
{
    public StripeKind Kind { get; init; }
    public byte K { get; init; }
    public byte M { get; init; }
    public StripeCodec Codec { get; init; }
    public bool Encrypted { get; init; }
    public uint ChunkBytes { get; init; }
    public ulong RawLength { get; init; }
    public ulong StoredLength { get; init; }
    public TxId BirthTxId { get; init; }
    public ulong PlaintextChecksum { get; init; }
    public StripeNonce Nonce { get; init; }
    public ReadOnlyMemory<ShardLocation> Shards { get; init; }

    /// <summary>log2 of the block size of <see cref="BlockCrcs"/>; 0 when the record has none.</summary>
    public byte BlockShift { get; init; }

    /// <summary>
    /// CRC32C of each block of each data shard (shard i's at [i × BlocksPerShard, (i+1) × BlocksPerShard)),
    /// so a read of part of a shard checks just the blocks it reads; empty when the record has none.
    /// </summary>
    public ReadOnlyMemory<uint> BlockCrcs { get; init; }

    public bool HasBlockCrcs => !BlockCrcs.IsEmpty;

    public int BlockBytes => 1 << BlockShift;

    /// <summary>Blocks per data shard (the last one short when the block size does not divide the chunk).</summary>
    public int BlocksPerShard => Crc32C.BlockCount((int)ChunkBytes, BlockBytes);

    /// <summary>Shards the layout requires: k+m, or m+1 copies.</summary>
    public int ExpectedShardCount => Kind == StripeKind.Replicated ? M + 1 : K + M;

    public bool Equals(StripeRecord other)
        => Kind == other.Kind && K == other.K && M == other.M && Codec == other.Codec && Encrypted == other.Encrypted
            && ChunkBytes == other.ChunkBytes && RawLength == other.RawLength && StoredLength == other.StoredLength
            && BirthTxId == other.BirthTxId && PlaintextChecksum == other.PlaintextChecksum
            && NonceEquals(other) && Shards.Span.SequenceEqual(other.Shards.Span)
            && BlockShift == other.BlockShift && BlockCrcs.Span.SequenceEqual(other.BlockCrcs.Span);

    private bool NonceEquals(in StripeRecord other)
    {
        StripeNonce a = Nonce;
        StripeNonce b = other.Nonce;
        return StripeNonce.Bytes(a).SequenceEqual(StripeNonce.Bytes(b));
    }

    public override int GetHashCode() => HashCode.Combine(Kind, K, M, RawLength, BirthTxId, PlaintextChecksum, Shards.Length);
}

public enum StripeKind : byte
{
    ErasureCoded = 1,
    Replicated = 2,
}

public enum StripeCodec : byte
{
    None = 0,
    Lz4 = 1,
    Zstd = 2,
}

/// <summary>The 24-byte XChaCha20 nonce of an encrypted stripe.</summary>
[InlineArray(Length)]
public struct StripeNonce
{
    public const int Length = 24;
    private byte _element0;

    public static StripeNonce From(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"a stripe nonce is {Length} bytes, got {bytes.Length}", nameof(bytes));
        }
        var n = default(StripeNonce);
        bytes.CopyTo(n);
        return n;
    }

    public static ReadOnlySpan<byte> Bytes(in StripeNonce nonce) => nonce;
}

/// <summary>One shard of a stripe on one member.</summary>
public readonly record struct ShardLocation(ushort Member, ulong OffsetBytes, uint LengthBytes, uint Crc32c);

public static class StripeRecordCodec
{
    public const byte Version = 1;
    public const int KeyLength = 16;
    public const int FixedLength = 68;
    public const int ShardLength = 18;
    public const int NonceOffset = 44;
    public const byte FlagEncrypted = 1;
    public const byte FlagBlockCrcs = 2;
    public const int MinBlockShift = 12;
    public const int MaxBlockShift = 24;

    public static byte[] EncodeKey(InodeId ino, StripeIndex index)
    {
        var key = new byte[KeyLength];
        BinaryPrimitives.WriteUInt64LittleEndian(key, ino.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(key.AsSpan(8), index.Value);
        return key;
    }

    public static bool TryDecodeKey(ReadOnlySpan<byte> key, out InodeId ino, out StripeIndex index)
    {
        ino = default;
        index = default;
        if (key.Length != KeyLength)
        {
            return false;
        }
        ino = new InodeId(BinaryPrimitives.ReadUInt64LittleEndian(key));
        index = new StripeIndex(BinaryPrimitives.ReadUInt64LittleEndian(key.Slice(8)));
        return ino.Value != 0;
    }

    public static int ValueLength(int shardCount) => FixedLength + (shardCount * ShardLength);

    public static int ValueLength(in StripeRecord s)
        => ValueLength(s.Shards.Length) + (s.HasBlockCrcs ? 1 + (4 * s.BlockCrcs.Length) : 0);

    /// <summary>Checks what the layout requires; the data path calls it before storing a record.</summary>
    public static bool IsValid(in StripeRecord s)
        => s.Kind is StripeKind.ErasureCoded or StripeKind.Replicated
            && s.K >= 1 && (s.Kind != StripeKind.Replicated || s.K == 1)
            && s.Codec is StripeCodec.None or StripeCodec.Lz4 or StripeCodec.Zstd
            && s.Shards.Length == s.ExpectedShardCount && s.Shards.Length <= ushort.MaxValue
            && (!s.HasBlockCrcs || BlockCrcsAreValid(s));

    /// <summary>
    /// Block checksums belong to erasure-coded stripes, come in a known block size, one per block of every
    /// data shard, and combine to each data shard's own CRC32C: a shard checked whole is checked block by
    /// block too, and a record whose block checksums disagree with its shards never loads.
    /// </summary>
    private static bool BlockCrcsAreValid(in StripeRecord s)
    {
        if (s.Kind != StripeKind.ErasureCoded || s.BlockShift is < MinBlockShift or > MaxBlockShift
            || s.ChunkBytes == 0 || s.ChunkBytes > int.MaxValue || (long)s.K * s.BlocksPerShard != s.BlockCrcs.Length)
        {
            return false;
        }
        var perShard = s.BlocksPerShard;
        for (var i = 0; i < s.K; i++)
        {
            var blocks = s.BlockCrcs.Span.Slice(i * perShard, perShard);
            if (Crc32C.CombineBlocks(blocks, (int)s.ChunkBytes, s.BlockBytes) != s.Shards.Span[i].Crc32c)
            {
                return false;
            }
        }
        return true;
    }

    public static byte[] EncodeValue(in StripeRecord s)
    {
        if (!IsValid(s))
        {
            throw new ArgumentException($"invalid stripe record ({s.Kind}, k={s.K}, m={s.M}, {s.Shards.Length} shards): "
                + "kind must be erasure-coded or replicated (k = 1), the shard list must hold k+m (or m+1) entries, "
                + "and block checksums (erasure-coded only) must cover every data shard and combine to its CRC32C", nameof(s));
        }
        var value = new byte[ValueLength(s)];
        var w = new RecordWriter(value);
        w.U8(Version);
        w.U8((byte)s.Kind);
        w.U8(s.K);
        w.U8(s.M);
        w.U8((byte)s.Codec);
        w.U8((byte)((s.Encrypted ? FlagEncrypted : 0) | (s.HasBlockCrcs ? FlagBlockCrcs : 0)));
        w.U16((ushort)s.Shards.Length);
        w.U32(s.ChunkBytes);
        w.U64(s.RawLength);
        w.U64(s.StoredLength);
        w.U64(s.BirthTxId.Value);
        w.U64(s.PlaintextChecksum);
        StripeNonce nonce = s.Nonce;
        w.Bytes(StripeNonce.Bytes(nonce));
        foreach (ShardLocation shard in s.Shards.Span)
        {
            w.U16(shard.Member);
            w.U64(shard.OffsetBytes);
            w.U32(shard.LengthBytes);
            w.U32(shard.Crc32c);
        }
        if (s.HasBlockCrcs)
        {
            w.U8(s.BlockShift);
            foreach (uint crc in s.BlockCrcs.Span) w.U32(crc);
        }
        return value;
    }

    public static bool TryDecodeValue(ReadOnlySpan<byte> value, out StripeRecord stripe, out RecordDecodeError error)
    {
        stripe = default;
        var r = new RecordReader(value);
        if (!r.TryReadU8(out byte version))
        {
            error = RecordDecodeError.Truncated;
            return false;
        }
        if (version != Version)
        {
            error = RecordDecodeError.UnsupportedVersion;
            return false;
        }
        if (!(r.TryReadU8(out byte kind) && r.TryReadU8(out byte k) && r.TryReadU8(out byte m) && r.TryReadU8(out byte codec)
            && r.TryReadU8(out byte flags) && r.TryReadU16(out ushort count) && r.TryReadU32(out uint chunk)
            && r.TryReadU64(out ulong raw) && r.TryReadU64(out ulong stored) && r.TryReadU64(out ulong birth)
            && r.TryReadU64(out ulong checksum) && r.TryReadBytes(StripeNonce.Length, out ReadOnlySpan<byte> nonce)))
        {
            error = RecordDecodeError.Truncated;
            return false;
        }
        if (r.Remaining < count * ShardLength)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }
        var shards = new ShardLocation[count];
        for (int i = 0; i < count; i++)
        {
            r.TryReadU16(out ushort member);
            r.TryReadU64(out ulong offset);
            r.TryReadU32(out uint length);
            r.TryReadU32(out uint crc);
            shards[i] = new ShardLocation(member, offset, length, crc);
        }
        byte blockShift = 0;
        uint[] blockCrcs = [];
        if ((flags & FlagBlockCrcs) != 0)
        {
            if (!r.TryReadU8(out blockShift))
            {
                error = RecordDecodeError.Truncated;
                return false;
            }
            if (blockShift is < MinBlockShift or > MaxBlockShift || chunk == 0 || chunk > int.MaxValue)
            {
                error = RecordDecodeError.InvalidField;
                return false;
            }
            long blockCount = (long)k * Crc32C.BlockCount((int)chunk, 1 << blockShift);
            if (r.Remaining < blockCount * 4)
            {
                error = RecordDecodeError.Truncated;
                return false;
            }
            blockCrcs = new uint[blockCount];
            for (long i = 0; i < blockCount; i++) r.TryReadU32(out blockCrcs[i]);
        }
        if (r.Remaining != 0)
        {
            error = RecordDecodeError.TrailingBytes;
            return false;
        }
        stripe = new StripeRecord
        {
            Kind = (StripeKind)kind,
            K = k,
            M = m,
            Codec = (StripeCodec)codec,
            Encrypted = (flags & 1) != 0,
            ChunkBytes = chunk,
            RawLength = raw,
            StoredLength = stored,
            BirthTxId = new TxId(birth),
            PlaintextChecksum = checksum,
            Nonce = StripeNonce.From(nonce),
            Shards = shards,
            BlockShift = blockShift,
            BlockCrcs = blockCrcs,
        };
        if ((flags & ~(FlagEncrypted | FlagBlockCrcs)) != 0 || !IsValid(stripe))
        {
            stripe = default;
            error = RecordDecodeError.InvalidField;
            return false;
        }
        error = RecordDecodeError.None;
        return true;
    }
}
