// Per-member layout (identical bytes on image files and block devices; docs/format.md §1):
//
//   0      4K      8K      12K ........ 64K    68K    72K ... 1MiB       journal_end (1 MiB aligned)     backup    capacity
//   |hdr   |SB     |label  | zero       |rootA |rootB | zero  |journal ...|data region (allocator) ...  |SB' label'|
//
//   journal_length = clamp(align_down(capacity / 32, 1 MiB), 4 MiB, 256 MiB)
//   backup_offset  = align_down(capacity, 1 MiB) − 1 MiB           (SB' at backup_offset, label' at +4 KiB)
//   data           = [1 MiB + journal_length, backup_offset)
using System.Buffers.Binary;

namespace Argos.Format.Pool;

/// <summary>Fixed offsets and the regions computed from a member's capacity.</summary>
public readonly record struct MemberLayout(
    long CapacityBytes, long JournalOffset, long JournalLength, long DataOffset, long DataLength, long BackupOffset)
{
    public const int BlockSize = 4096;
    public const int SectorSize = 512;
    public const long MiB = 1024 * 1024;

    public const long HeaderOffset = 0;
    public const long SuperblockOffset = 4096;
    public const long LabelOffset = 8192;
    /// <summary>Everything below this offset other than header, superblock and label is zero (I-1).</summary>
    public const long ProtectedAreaLength = 64 * 1024;
    public const long RootSlotAOffset = 64 * 1024;
    public const long RootSlotBOffset = RootSlotAOffset + BlockSize;
    public const long JournalStart = 1 * MiB;
    public const long MinJournalLength = 4 * MiB;
    public const long MaxJournalLength = 256 * MiB;
    /// <summary>Smallest member accepted by mkfs: 1 MiB fixed area + 4 MiB journal + 1 MiB backups leaves 58 MiB of data.</summary>
    public const long MinCapacityBytes = 64 * MiB;
    public const long BackupLabelDelta = BlockSize;

    public long BackupSuperblockOffset => BackupOffset;
    public long BackupLabelOffset => BackupOffset + BackupLabelDelta;

    public static long AlignDown(long value, long alignment) => value / alignment * alignment;

    public static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;

    public static long BackupOffsetFor(long capacityBytes) => AlignDown(capacityBytes, MiB) - MiB;

    /// <summary>The layout mkfs gives a member of this capacity; throws naming the minimum for small members.</summary>
    public static MemberLayout ForCapacity(long capacityBytes, string what)
    {
        if (capacityBytes < MinCapacityBytes)
        {
            throw new ArgumentException(
                $"{what} is {capacityBytes} bytes; an argosfs member needs at least {MinCapacityBytes / MiB} MiB — use a larger image (--image-size 64MiB or more) or device");
        }
        long journal = Math.Clamp(AlignDown(capacityBytes / 32, MiB), MinJournalLength, MaxJournalLength);
        long backup = BackupOffsetFor(capacityBytes);
        long data = JournalStart + journal;
        return new MemberLayout(capacityBytes, JournalStart, journal, data, backup - data, backup);
    }

    /// <summary>Checks regions read from a superblock: ordered, aligned, inside the capacity (I-2).</summary>
    public string? Validate()
    {
        if (JournalOffset != JournalStart)
        {
            return $"journal offset {JournalOffset} is not {JournalStart}";
        }
        if (JournalLength < MinJournalLength || JournalLength > MaxJournalLength || JournalLength % MiB != 0)
        {
            return $"journal length {JournalLength} is not a MiB multiple in [4 MiB, 256 MiB]";
        }
        if (DataOffset != JournalOffset + JournalLength)
        {
            return $"data offset {DataOffset} does not follow the journal";
        }
        if (DataLength <= 0 || DataLength % BlockSize != 0 || DataOffset + DataLength != BackupOffset)
        {
            return $"data region [{DataOffset}, +{DataLength}) does not end at the backup offset {BackupOffset}";
        }
        if (BackupOffset % MiB != 0 || BackupOffset + MiB > CapacityBytes)
        {
            return $"backup offset {BackupOffset} is not MiB-aligned inside capacity {CapacityBytes}";
        }
        return null;
    }
}

/// <summary>Feature masks; unknown bits are handled per mask (I-3).</summary>
public static class FeatureFlags
{
    /// <summary>
    /// Incompat bit 0: stripe records may carry per-block CRC32Cs of their data shards (stripe record
    /// flags bit 1), so a small read checks just the blocks it reads. An argosfs that predates it would
    /// reject those records; mkfs sets it on every new pool.
    /// </summary>
    public const ulong StripeBlockChecksums = 1;

    public const ulong KnownCompat = 0;
    public const ulong KnownIncompat = StripeBlockChecksums;
    public const ulong KnownRoCompat = 0;
}

/// <summary>Helpers for the "CRC32C in the last 4 bytes, computed with that field zeroed" convention (I-5).</summary>
public static class BlockChecksum
{
    public static uint Compute(ReadOnlySpan<byte> structure)
    {
        uint crc = Crc32C.Compute(structure[..^4]);
        Span<byte> zero = stackalloc byte[4];
        zero.Clear();
        return Crc32C.Append(crc, zero);
    }

    public static void Seal(Span<byte> structure)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(structure[^4..], Compute(structure));
    }

    public static bool Verify(ReadOnlySpan<byte> structure)
        => BinaryPrimitives.ReadUInt32LittleEndian(structure[^4..]) == Compute(structure);
}
