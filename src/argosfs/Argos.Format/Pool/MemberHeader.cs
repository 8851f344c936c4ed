// Protective header, member offset 0, 4096 bytes (docs/format.md §2.1):
//
//   0    16  magic "ARGOSFS-MEMBER\0\0"
//   16   u32 version (1)
//   20   u32 reserved (0)
//   24   u64 backup offset (a locator for SB'/label' when the primary superblock is gone)
//   32   64  text "ArgosFS pool member; do not format" (ASCII, zero padded)
//   96   ..  zero; bytes 510-511 stay zero so the block never looks like an MBR boot sector (I-1)
//   4092 u32 CRC32C of the 4096 bytes with this field zeroed
using System.Buffers.Binary;

namespace Argos.Format.Pool;

public sealed record MemberHeader(long BackupOffset)
{
    public const int Size = MemberLayout.BlockSize;
    public const int MagicOffset = 0;
    public const int MagicLength = 16;
    public const int VersionOffset = MagicOffset + MagicLength;           // 16
    public const int ReservedOffset = VersionOffset + 4;                   // 20
    public const int BackupOffsetOffset = ReservedOffset + 4;              // 24
    public const int TextOffset = BackupOffsetOffset + 8;                  // 32
    public const int TextLength = 64;
    public const int ChecksumOffset = Size - 4;                            // 4092
    public const uint Version = 1;
    public const string Text = "ArgosFS pool member; do not format";

    public static ReadOnlySpan<byte> Magic => "ARGOSFS-MEMBER\0\0"u8;

    public void Encode(Span<byte> destination)
    {
        Span<byte> b = destination[..Size];
        b.Clear();
        Magic.CopyTo(b[MagicOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(b[VersionOffset..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(b[BackupOffsetOffset..], BackupOffset);
        System.Text.Encoding.ASCII.GetBytes(Text, b.Slice(TextOffset, TextLength));
        BlockChecksum.Seal(b);
    }

    public static bool TryDecode(ReadOnlySpan<byte> source, out MemberHeader? header, out string error)
    {
        header = null;
        if (source.Length < Size)
        {
            error = $"header is {source.Length} bytes, expected {Size}";
            return false;
        }
        var c = new SpanCursor(source[..Size]);
        if (!c.TryReadBytes(MagicLength, out ReadOnlySpan<byte> magic) || !magic.SequenceEqual(Magic))
        {
            error = "no ArgosFS member header magic at offset 0";
            return false;
        }
        if (!BlockChecksum.Verify(source[..Size]))
        {
            error = "member header checksum mismatch";
            return false;
        }
        c.TryReadU32(out uint version);
        c.TryReadU32(out _);
        c.TryReadI64(out long backup);
        if (version != Version)
        {
            error = $"member header version {version} is not {Version}";
            return false;
        }
        header = new MemberHeader(backup);
        error = "";
        return true;
    }
}
