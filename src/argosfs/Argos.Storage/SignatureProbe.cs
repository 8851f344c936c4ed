using System.Buffers.Binary;
using Argos.Format.Pool;

namespace Argos.Storage;

/// <summary>
/// mkfs's guard: finds known file-system, volume and partition signatures, or any non-zero byte, in the
/// first and last MiB of a target (docs/format.md §6). Read-only.
/// </summary>
public static class SignatureProbe
{
    public const int ProbeBytes = 1024 * 1024;

    /// <summary>Null when the target looks empty; otherwise what was found and where.</summary>
    public static string? Find(IMemberDevice device)
    {
        if (device.CapacityBytes == 0)
        {
            return null;
        }
        int headLength = (int)Math.Min(ProbeBytes, device.CapacityBytes);
        var head = new byte[headLength];
        device.ReadAt(0, head);
        long tailOffset = Math.Max(0, device.CapacityBytes - ProbeBytes);
        var tail = new byte[(int)(device.CapacityBytes - tailOffset)];
        device.ReadAt(tailOffset, tail);
        return FindIn(head, tail, tailOffset);
    }

    public static string? FindIn(ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, long tailOffset)
    {
        if (At(head, MemberLayout.SuperblockOffset, "ARGOSFS1"u8) || At(head, 0, MemberHeader.Magic))
        {
            return "an existing argosfs pool member";
        }
        if (head.Length >= 0x43A && BinaryPrimitives.ReadUInt16LittleEndian(head[0x438..]) == 0xEF53)
        {
            return "an ext2/ext3/ext4 file system (magic 0xEF53 at 0x438)";
        }
        if (At(head, 0, "XFSB"u8)) return "an XFS file system (\"XFSB\" at 0)";
        if (At(head, 0x10040, "_BHRfS_M"u8)) return "a btrfs file system (\"_BHRfS_M\" at 0x10040)";
        if (At(head, 0, [0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE])) return "a LUKS encrypted volume (\"LUKS\\xba\\xbe\" at 0)";
        if (At(head, 0, "hsqs"u8)) return "a squashfs image (\"hsqs\" at 0)";
        if (At(head, 512, "EFI PART"u8)) return "a GPT partition table (\"EFI PART\" at 512)";
        if (At(head, 512, "LABELONE"u8)) return "an LVM physical volume (\"LABELONE\" at 512)";
        if (head.Length >= 512 && head[510] == 0x55 && head[511] == 0xAA && HasPartitionEntry(head))
        {
            return "an MBR partition table (0x55AA at 510 with partition entries)";
        }
        if (head.Length >= 4100 && BinaryPrimitives.ReadUInt32LittleEndian(head[4096..]) == 0xA92B4EFC)
        {
            return "a Linux md RAID member (magic 0xa92b4efc at 4096)";
        }
        for (int off = 0; off + 4 <= tail.Length; off += 4096)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail[off..]) == 0xA92B4EFC)
            {
                return $"a Linux md RAID member (magic 0xa92b4efc at {tailOffset + off})";
            }
        }
        for (int page = 4096; page <= 65536; page *= 2)
        {
            if (At(head, page - 10, "SWAPSPACE2"u8)) return $"a swap area (\"SWAPSPACE2\" at {page - 10})";
        }
        int nonZero = head.IndexOfAnyExcept((byte)0);
        if (nonZero >= 0)
        {
            return $"non-zero data in the first MiB (at offset {nonZero})";
        }
        nonZero = tail.IndexOfAnyExcept((byte)0);
        if (nonZero >= 0)
        {
            return $"non-zero data in the last MiB (at offset {tailOffset + nonZero})";
        }
        return null;
    }

    private static bool HasPartitionEntry(ReadOnlySpan<byte> mbr)
    {
        for (int i = 0; i < 4; i++)
        {
            if (mbr[446 + 16 * i + 4] != 0)
            {
                return true;
            }
        }
        return false;
    }

    private static bool At(ReadOnlySpan<byte> data, long offset, ReadOnlySpan<byte> magic)
        => offset + magic.Length <= data.Length && data.Slice((int)offset, magic.Length).SequenceEqual(magic);
}
