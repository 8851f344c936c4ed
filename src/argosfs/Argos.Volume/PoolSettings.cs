// The PoolConfig record (RecordKind.PoolConfig, empty key): pool-wide settings that are not part of
// the member superblocks. Layout, version 1, little-endian:
//
//   off size field
//     0    1 version (1)
//     1    1 compression codec (CompressionCodec: 0 none, 1 zstd, 2 lz4)
//     2    1 compression level (0 = codec default)
//     3    1 flags: bit 0 encrypted
//     4    4 inline threshold bytes (files up to this size live in their inode record)
//     8    4 replication threshold bytes (stripes up to this size are stored as m+1 copies)
//    12   32 KDF parameters (KdfParameters: Argon2id ops, memory, salt)      zero unless encrypted
//    44   56 key check (StripeCipher.KeyCheckBytes)                           zero unless encrypted
//   100      end
using System.Buffers.Binary;
using Argos.DataPath.Codecs;

namespace Argos.Volume;

public sealed record PoolSettings
{
    public const int DefaultInlineThresholdBytes = 2048;
    public const int DefaultReplicationThresholdBytes = 16 * 1024;

    private const int VersionOffset = 0;
    private const int CodecOffset = VersionOffset + 1;
    private const int LevelOffset = CodecOffset + 1;
    private const int FlagsOffset = LevelOffset + 1;
    private const int InlineOffset = FlagsOffset + 1;
    private const int ReplicationOffset = InlineOffset + 4;
    private const int KdfOffset = ReplicationOffset + 4;
    private const int KeyCheckOffset = KdfOffset + KdfParameters.Size;
    public const int Size = KeyCheckOffset + StripeCipher.KeyCheckBytes;

    public CompressionSettings Compression { get; init; } = CompressionSettings.Default;
    public bool Encrypted { get; init; }
    public int InlineThresholdBytes { get; init; } = DefaultInlineThresholdBytes;
    public int ReplicationThresholdBytes { get; init; } = DefaultReplicationThresholdBytes;
    public byte[] Kdf { get; init; } = new byte[KdfParameters.Size];
    public byte[] KeyCheck { get; init; } = new byte[StripeCipher.KeyCheckBytes];

    public byte[] Encode()
    {
        var value = new byte[Size];
        value[VersionOffset] = 1;
        value[CodecOffset] = (byte)Compression.Codec;
        value[LevelOffset] = (byte)Math.Clamp(Compression.Level, 0, 255);
        value[FlagsOffset] = Encrypted ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(InlineOffset), InlineThresholdBytes);
        BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(ReplicationOffset), ReplicationThresholdBytes);
        Kdf.CopyTo(value.AsSpan(KdfOffset, KdfParameters.Size));
        KeyCheck.CopyTo(value.AsSpan(KeyCheckOffset, StripeCipher.KeyCheckBytes));
        return value;
    }

    public static bool TryDecode(ReadOnlySpan<byte> value, out PoolSettings settings, out string error)
    {
        settings = new PoolSettings();
        if (value.Length < Size)
        {
            error = $"pool settings record is {value.Length} bytes, expected {Size}";
            return false;
        }
        if (value[VersionOffset] != 1)
        {
            error = $"pool settings record version {value[VersionOffset]} is newer than this argosfs understands; upgrade argosfs";
            return false;
        }
        var codec = (CompressionCodec)value[CodecOffset];
        if (codec is not (CompressionCodec.None or CompressionCodec.Zstd or CompressionCodec.Lz4))
        {
            error = $"pool settings name an unknown compression codec {value[CodecOffset]}";
            return false;
        }
        settings = new PoolSettings
        {
            Compression = new CompressionSettings(codec, value[LevelOffset]),
            Encrypted = (value[FlagsOffset] & 1) != 0,
            InlineThresholdBytes = BinaryPrimitives.ReadInt32LittleEndian(value[InlineOffset..]),
            ReplicationThresholdBytes = BinaryPrimitives.ReadInt32LittleEndian(value[ReplicationOffset..]),
            Kdf = value.Slice(KdfOffset, KdfParameters.Size).ToArray(),
            KeyCheck = value.Slice(KeyCheckOffset, StripeCipher.KeyCheckBytes).ToArray(),
        };
        error = "";
        return true;
    }
}
