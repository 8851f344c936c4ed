using Argos.Format.Pool;

namespace Argos.Storage;

/// <summary>Writes a member's identity blocks: header, superblock and label, primary and backup.</summary>
public static class MemberFormatter
{
    /// <summary>Zeroes the first MiB (header area and root slots) and the last MiB of a new member.</summary>
    public static void ClearFixedAreas(IMemberDevice device, MemberLayout layout)
    {
        var zero = new byte[MemberLayout.MiB];
        device.WriteAt(0, zero);
        device.WriteAt(layout.BackupOffset, zero.AsSpan(0, (int)Math.Min(zero.Length, layout.CapacityBytes - layout.BackupOffset)));
    }

    public static void WriteHeader(IMemberDevice device, MemberLayout layout)
    {
        var block = new byte[MemberHeader.Size];
        new MemberHeader(layout.BackupOffset).Encode(block);
        device.WriteAt(MemberLayout.HeaderOffset, block);
    }

    /// <summary>Superblock + label at the primary location (one 8 KiB write at offset 4096).</summary>
    public static void WritePrimary(IMemberDevice device, Superblock sb, MemberLabel label)
    {
        var blocks = new byte[2 * MemberLayout.BlockSize];
        sb.Encode(blocks);
        label.Encode(blocks.AsSpan(MemberLayout.BlockSize));
        device.WriteAt(MemberLayout.SuperblockOffset, blocks);
    }

    /// <summary>Superblock + label at the backup location in the last MiB.</summary>
    public static void WriteBackup(IMemberDevice device, Superblock sb, MemberLabel label)
    {
        var blocks = new byte[2 * MemberLayout.BlockSize];
        sb.Encode(blocks);
        label.Encode(blocks.AsSpan(MemberLayout.BlockSize));
        device.WriteAt(sb.Layout.BackupOffset, blocks);
    }

    public static MemberLabel LabelFor(Superblock sb, string pathHint) => new()
    {
        PoolUuid = sb.PoolUuid,
        MemberUuid = sb.MemberUuid,
        MemberIndex = sb.MemberIndex,
        Generation = sb.Generation,
        UpdatedNs = NowNs(),
        PoolName = sb.PoolName,
        PathHint = pathHint,
    };

    public static long NowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
}
