// Label, 4096 bytes at member offset 8192 (primary) and backup_offset + 4096 (backup) (docs/format.md §2.3):
//
//   0    8   magic "ARGOSLB1"
//   8    u32 version (1)
//   12   u32 member index
//   16   16  pool UUID
//   32   16  member UUID
//   48   u64 generation
//   56   i64 updated (ns)
//   64   u8 pool name length, 63 bytes UTF-8
//   128  u16 path hint length, 256 bytes path hint (the path this member was last opened by)
//   386  ..  zero
//   4092 u32 CRC32C of the 4096 bytes with this field zeroed
using System.Buffers.Binary;

namespace Argos.Format.Pool;

public sealed record MemberLabel
{
    public const int Size = MemberLayout.BlockSize;
    public const int VersionOffset = 8;
    public const int MemberIndexOffset = VersionOffset + 4;        // 12
    public const int PoolUuidOffset = MemberIndexOffset + 4;       // 16
    public const int MemberUuidOffset = PoolUuidOffset + 16;       // 32
    public const int GenerationOffset = MemberUuidOffset + 16;     // 48
    public const int UpdatedOffset = GenerationOffset + 8;         // 56
    public const int PoolNameOffset = UpdatedOffset + 8;           // 64
    public const int PoolNameCapacity = 63;
    public const int PathHintOffset = PoolNameOffset + 64;         // 128
    public const int PathHintCapacity = 256;
    public const int EndOfFields = PathHintOffset + 2 + PathHintCapacity; // 386
    public const int ChecksumOffset = Size - 4;
    public const uint CurrentVersion = 1;

    public static ReadOnlySpan<byte> Magic => "ARGOSLB1"u8;

    public Guid PoolUuid { get; init; }
    public Guid MemberUuid { get; init; }
    public MemberIndex MemberIndex { get; init; }
    public Generation Generation { get; init; }
    public long UpdatedNs { get; init; }
    public string PoolName { get; init; } = "";
    public string PathHint { get; init; } = "";

    public void Encode(Span<byte> destination)
    {
        Span<byte> b = destination[..Size];
        b.Clear();
        Magic.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b[VersionOffset..], CurrentVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(b[MemberIndexOffset..], (uint)MemberIndex.Value);
        FieldWriter.WriteUuid(b[PoolUuidOffset..], PoolUuid);
        FieldWriter.WriteUuid(b[MemberUuidOffset..], MemberUuid);
        BinaryPrimitives.WriteUInt64LittleEndian(b[GenerationOffset..], Generation.Value);
        BinaryPrimitives.WriteInt64LittleEndian(b[UpdatedOffset..], UpdatedNs);
        FieldWriter.WriteFixedString(b[PoolNameOffset..], PoolNameCapacity, PoolName, "pool name");
        // The hint is advisory: keep its last 256 bytes rather than fail on a long path.
        byte[] hint = System.Text.Encoding.UTF8.GetBytes(PathHint);
        ReadOnlySpan<byte> kept = hint.Length > PathHintCapacity ? hint.AsSpan(hint.Length - PathHintCapacity) : hint;
        BinaryPrimitives.WriteUInt16LittleEndian(b[PathHintOffset..], (ushort)kept.Length);
        kept.CopyTo(b[(PathHintOffset + 2)..]);
        BlockChecksum.Seal(b);
    }

    public static bool TryDecode(ReadOnlySpan<byte> source, out MemberLabel? label, out string error)
    {
        label = null;
        if (source.Length < Size)
        {
            error = $"label is {source.Length} bytes, expected {Size}";
            return false;
        }
        ReadOnlySpan<byte> b = source[..Size];
        if (!b[..8].SequenceEqual(Magic))
        {
            error = "wrong label magic";
            return false;
        }
        if (!BlockChecksum.Verify(b))
        {
            error = "label checksum mismatch";
            return false;
        }
        var c = new SpanCursor(b);
        c.TrySkip(8);
        c.TryReadU32(out uint version);
        c.TryReadU32(out uint index);
        c.TryReadUuid(out Guid pool);
        c.TryReadUuid(out Guid member);
        c.TryReadU64(out ulong generation);
        c.TryReadI64(out long updated);
        if (!c.TryReadFixedString(PoolNameCapacity, out string name))
        {
            error = "label pool name is not valid UTF-8";
            return false;
        }
        c.TryReadU16(out ushort hintLength);
        if (hintLength > PathHintCapacity || !c.TryReadBytes(hintLength, out ReadOnlySpan<byte> hint))
        {
            error = "label path hint length out of range";
            return false;
        }
        if (version != CurrentVersion)
        {
            error = $"label version {version} is not {CurrentVersion}";
            return false;
        }
        label = new MemberLabel
        {
            PoolUuid = pool,
            MemberUuid = member,
            MemberIndex = new MemberIndex((int)index),
            Generation = new Generation(generation),
            UpdatedNs = updated,
            PoolName = name,
            PathHint = System.Text.Encoding.UTF8.GetString(hint),
        };
        error = "";
        return true;
    }

    /// <summary>Null when the label names the same member as the superblock; otherwise the mismatch.</summary>
    public string? MismatchWith(Superblock sb)
    {
        if (PoolUuid != sb.PoolUuid)
        {
            return $"label pool {PoolUuid} differs from superblock pool {sb.PoolUuid}";
        }
        if (MemberUuid != sb.MemberUuid || MemberIndex != sb.MemberIndex)
        {
            return "label member identity differs from the superblock";
        }
        return null;
    }
}
