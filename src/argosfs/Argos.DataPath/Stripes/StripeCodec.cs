// The stripe pipeline, one stripe at a time (docs/format.md, "Stripes"):
//
//   raw file bytes (≤ k × chunk)
//     → compress (zstd / lz4, or stored raw when that saves less than 1/8)      StripeCompressor
//     → seal (XChaCha20-Poly1305: nonce ‖ ciphertext ‖ tag), when encrypted      StripeCipher
//     = payload of P bytes
//     → split into k data shards of S = align_up(⌈P / k⌉, 4096) bytes, zero padded
//     → Reed-Solomon: m parity shards                                           ReedSolomon
//     → CRC32C per shard (stored in the stripe record; checked on every read)
//
// Replicated stripes (small data) skip the split: m + 1 copies of the payload, S = align_up(P, 4096).
// The shards sit back to back in one buffer, shard i at i × S, so the payload is the first P bytes of
// the data shards: decoding needs no copy to reassemble it. The plaintext CRC32C is checked after
// decompression, end to end.
using Argos.DataPath.Codecs;
using Argos.Erasure;
using Argos.Format;

namespace Argos.DataPath.Stripes;

/// <summary>How a stripe is stored: erasure-coded k+m, or m+1 replicated copies.</summary>
public enum StripeLayoutKind : byte
{
    ErasureCoded = 1,
    Replicated = 2,
}

/// <summary>What identifies a stripe (bound into the AEAD associated data) and how to transform it.</summary>
public readonly record struct StripeContext(
    Guid PoolId,
    InodeId Inode,
    StripeIndex Index,
    CompressionSettings Compression,
    StripeCipher? Cipher);

/// <summary>The encoded form's description: everything a reader needs besides the shard bytes.</summary>
public readonly record struct EncodedStripe(
    StripeLayoutKind Kind,
    int K,
    int M,
    CompressionCodec Codec,
    bool Encrypted,
    int RawLength,
    int PayloadLength,
    int ShardLength,
    uint PlaintextCrc,
    int BlockBytes = 0,
    ReadOnlyMemory<uint> BlockCrcs = default)
{
    public int ShardCount => Kind == StripeLayoutKind.Replicated ? M + 1 : K + M;

    /// <summary>Shards that carry payload bytes: k for erasure-coded, any one copy for replicated.</summary>
    public int DataShardCount => Kind == StripeLayoutKind.Replicated ? 1 : K;
}

public static class StripeCodec
{
    public const int ShardAlignment = 4096;

    /// <summary>Bytes the shard buffer needs for a stripe of <paramref name="rawLength"/> bytes.</summary>
    public static int ShardBufferLength(StripeLayoutKind kind, int k, int m, int rawLength)
    {
        var payload = PayloadCapacity(rawLength);
        return kind == StripeLayoutKind.Replicated
            ? (m + 1) * AlignUp(payload)
            : (k + m) * AlignUp((payload + k - 1) / k);
    }

    /// <summary>The largest payload a stripe of <paramref name="rawLength"/> bytes can produce.</summary>
    public static int PayloadCapacity(int rawLength) => StripeCipher.SealedLength(rawLength);

    /// <summary>
    /// Encodes <paramref name="raw"/> into <paramref name="shards"/> (at least
    /// <see cref="ShardBufferLength"/> bytes), writing each shard's CRC32C into <paramref name="shardCrcs"/>.
    /// <paramref name="scratch"/> must hold <see cref="PayloadCapacity"/> bytes. With
    /// <paramref name="blockBytes"/> &gt; 0, an erasure-coded stripe stored as it is (incompressible,
    /// unencrypted: the only kind a reader can read part of a shard of) whose shards span more than
    /// one block also gets the CRC32C of every block of its data shards (<see cref="EncodedStripe.BlockCrcs"/>),
    /// each data shard's CRC combined from them in the same pass.
    /// </summary>
    public static EncodedStripe Encode(
        StripeLayoutKind kind, int k, int m, ReadOnlySpan<byte> raw, in StripeContext context,
        Span<byte> scratch, Span<byte> shards, Span<uint> shardCrcs, int blockBytes = 0)
    {
        if (kind == StripeLayoutKind.Replicated) k = 1;
        var plaintextCrc = Crc32C.Compute(raw);

        // Stage 1 + 2: compress into scratch and seal into the front of the shard area; unencrypted,
        // compress (or copy raw) straight into the shard area, one pass less.
        CompressionResult compressed;
        int payloadLength;
        if (context.Cipher is { } cipher)
        {
            compressed = StripeCompressor.Compress(context.Compression, raw, scratch);
            Span<byte> aad = stackalloc byte[StripeAssociatedData.Size];
            WriteAad(aad, context, compressed.Codec, raw.Length);
            payloadLength = cipher.Seal(scratch[..compressed.Length], aad, shards);
        }
        else
        {
            compressed = StripeCompressor.Compress(context.Compression, raw, shards);
            payloadLength = compressed.Length;
        }

        int shardLength;
        int shardCount;
        if (kind == StripeLayoutKind.Replicated)
        {
            shardLength = AlignUp(Math.Max(payloadLength, 1));
            shardCount = m + 1;
            shards[payloadLength..shardLength].Clear();
            for (var copy = 1; copy < shardCount; copy++)
            {
                shards[..shardLength].CopyTo(shards.Slice(copy * shardLength, shardLength));
            }
        }
        else
        {
            shardLength = AlignUp(Math.Max((payloadLength + k - 1) / k, 1));
            shardCount = k + m;
            shards[payloadLength..(k * shardLength)].Clear();
            if (m > 0)
            {
                ReedSolomon.Get(k, m).Encode(shards[..(k * shardLength)], shards.Slice(k * shardLength, m * shardLength));
            }
        }
        var blocked = blockBytes > 0 && kind == StripeLayoutKind.ErasureCoded && compressed.Codec == CompressionCodec.None
            && context.Cipher is null && shardLength > blockBytes;
        var perShard = blocked ? Crc32C.BlockCount(shardLength, blockBytes) : 0;
        var blockCrcs = blocked ? new uint[k * perShard] : [];
        for (var i = 0; i < shardCount; i++)
        {
            var shard = shards.Slice(i * shardLength, shardLength);
            shardCrcs[i] = blocked && i < k
                ? Crc32C.ComputeBlocks(shard, blockBytes, blockCrcs.AsSpan(i * perShard, perShard))
                : Crc32C.Compute(shard);
        }
        return new EncodedStripe(kind, k, m, compressed.Codec, context.Cipher is not null, raw.Length, payloadLength, shardLength, plaintextCrc,
            blocked ? blockBytes : 0, blockCrcs);
    }

    /// <summary>
    /// Rebuilds the missing data shards in place (only those; parity is rebuilt only when asked
    /// through <paramref name="rebuildAll"/>, for repair) from any k present shards.
    /// </summary>
    /// <exception cref="TooManyErasuresException">fewer than k shards are present.</exception>
    public static void Reconstruct(in EncodedStripe stripe, Span<byte> shards, ReadOnlySpan<bool> present, bool rebuildAll = false)
    {
        var n = stripe.ShardCount;
        var s = stripe.ShardLength;
        if (stripe.Kind == StripeLayoutKind.Replicated)
        {
            var source = -1;
            for (var i = 0; i < n; i++)
            {
                if (present[i]) { source = i; break; }
            }
            if (source < 0)
            {
                throw new TooManyErasuresException(n, 1, n - 1);
            }
            for (var i = 0; i < n; i++)
            {
                if (!present[i] && (rebuildAll || i == 0))
                {
                    shards.Slice(source * s, s).CopyTo(shards.Slice(i * s, s));
                }
            }
            return;
        }
        var missingWanted = false;
        Span<bool> wanted = stackalloc bool[n];
        for (var i = 0; i < n; i++)
        {
            wanted[i] = !present[i] && (rebuildAll || i < stripe.K);
            missingWanted |= wanted[i];
        }
        if (missingWanted)
        {
            ReedSolomon.Get(stripe.K, stripe.M).Reconstruct(shards[..(n * s)], present, wanted);
        }
    }

    /// <summary>
    /// Turns the data shards (all present, after <see cref="Reconstruct"/>) back into the raw bytes.
    /// </summary>
    /// <exception cref="StripeCorruptException">the plaintext does not match its checksum.</exception>
    public static void Decode(in EncodedStripe stripe, ReadOnlySpan<byte> shards, in StripeContext context, Span<byte> scratch, Span<byte> raw)
    {
        if (raw.Length != stripe.RawLength)
        {
            throw new ArgumentException($"raw buffer holds {raw.Length} bytes but the stripe has {stripe.RawLength}", nameof(raw));
        }
        var payload = shards[..stripe.PayloadLength];
        ReadOnlySpan<byte> compressed;
        if (stripe.Encrypted)
        {
            if (context.Cipher is not { } cipher)
            {
                throw new EncryptionKeyException(KeyProblem.Missing, "encrypted pool: no key; set ARGOSFS_KEY_FILE or pass --key-file");
            }
            Span<byte> aad = stackalloc byte[StripeAssociatedData.Size];
            WriteAad(aad, context, stripe.Codec, stripe.RawLength);
            var length = cipher.Open(payload, aad, scratch);
            compressed = scratch[..length];
        }
        else
        {
            compressed = payload;
        }
        StripeCompressor.Decompress(stripe.Codec, compressed, raw);
        var crc = Crc32C.Compute(raw);
        if (crc != stripe.PlaintextCrc)
        {
            throw new StripeCorruptException(
                $"stripe {context.Index.Value} of inode {context.Inode}: decoded data fails its checksum (crc32c {crc:x8}, expected {stripe.PlaintextCrc:x8})");
        }
    }

    /// <summary>
    /// The check <see cref="Decode"/> makes, for a stripe stored raw and unencrypted whose data shards
    /// are used as they are (their first RawLength bytes are the file bytes): the payload length must
    /// be the raw length and the plaintext CRC32C must match.
    /// </summary>
    /// <remarks>
    /// <paramref name="checkedShardCrcs"/>: the CRC32C of each data shard, when every one of them was
    /// just read and checked against it and the shards hold exactly RawLength bytes (a whole stripe);
    /// the plaintext CRC is then combined from them (<see cref="Crc32C.Combine"/>) instead of read
    /// again — the same check, one pass over the stripe fewer.
    /// </remarks>
    public static void CheckPlain(in EncodedStripe stripe, ReadOnlySpan<byte> dataShards, in StripeContext context, ReadOnlySpan<uint> checkedShardCrcs, int shardLength)
    {
        if (!checkedShardCrcs.IsEmpty && stripe.PayloadLength == stripe.RawLength && !stripe.Encrypted
            && stripe.Codec == CompressionCodec.None && (long)checkedShardCrcs.Length * shardLength == stripe.RawLength)
        {
            var combined = checkedShardCrcs[0];
            for (var i = 1; i < checkedShardCrcs.Length; i++) combined = Crc32C.Combine(combined, checkedShardCrcs[i], shardLength);
            if (combined == stripe.PlaintextCrc) return;
            // A mismatch is reported by the full check below, with the CRC of the bytes themselves.
        }
        CheckPlain(stripe, dataShards, context);
    }

    public static void CheckPlain(in EncodedStripe stripe, ReadOnlySpan<byte> dataShards, in StripeContext context)
    {
        if (stripe.Encrypted || stripe.Codec != CompressionCodec.None)
        {
            throw new ArgumentException("CheckPlain is for stripes stored raw and unencrypted", nameof(stripe));
        }
        if (stripe.PayloadLength != stripe.RawLength || dataShards.Length < stripe.RawLength)
        {
            throw new StripeCorruptException(
                $"stripe {context.Index.Value} of inode {context.Inode}: raw payload is {stripe.PayloadLength} bytes, expected {stripe.RawLength}: the stripe record is corrupt");
        }
        var crc = Crc32C.Compute(dataShards[..stripe.RawLength]);
        if (crc != stripe.PlaintextCrc)
        {
            throw new StripeCorruptException(
                $"stripe {context.Index.Value} of inode {context.Inode}: decoded data fails its checksum (crc32c {crc:x8}, expected {stripe.PlaintextCrc:x8})");
        }
    }

    private static void WriteAad(Span<byte> aad, in StripeContext context, CompressionCodec codec, int rawLength)
    {
        Span<byte> pool = stackalloc byte[16];
        context.PoolId.TryWriteBytes(pool);
        StripeAssociatedData.Write(aad, pool, context.Inode, context.Index, codec, rawLength);
    }

    private static int AlignUp(int value) => (value + ShardAlignment - 1) & ~(ShardAlignment - 1);
}

/// <summary>A stripe whose decoded bytes are wrong although its shards passed their checksums.</summary>
public sealed class StripeCorruptException(string message) : IOException(message);
