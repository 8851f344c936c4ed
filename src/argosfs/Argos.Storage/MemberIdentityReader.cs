using Argos.Format.Pool;

namespace Argos.Storage;

/// <summary>
/// What a member says about itself: the superblock and label, from the primary copies or, when a primary
/// is damaged, from the backups in the last MiB (I-6). Never throws on bad bytes; I/O errors become errors too.
/// </summary>
public sealed record MemberIdentity
{
    public Superblock? Superblock { get; init; }
    /// <summary>"primary" or "backup"; empty when no superblock copy is valid.</summary>
    public string SuperblockSource { get; init; } = "";
    public MemberLabel? Label { get; init; }
    public string LabelSource { get; init; } = "";
    /// <summary>Why the member is invalid; null when it is valid.</summary>
    public string? Error { get; init; }
    public string? PrimaryError { get; init; }
    public string? BackupError { get; init; }
    /// <summary>True when a valid member has a damaged primary or backup copy that a read-write open should rewrite.</summary>
    public bool NeedsRepair { get; init; }
    public long BackupOffsetUsed { get; init; }

    public bool IsValid => Error is null && Superblock is not null;
}

public static class MemberIdentityReader
{
    public static MemberIdentity Read(IMemberDevice device)
    {
        var head = new byte[3 * MemberLayout.BlockSize];
        try
        {
            device.ReadAt(0, head.AsSpan(0, (int)Math.Min(head.Length, device.CapacityBytes)));
        }
        catch (Exception e) when (e is IOException)
        {
            return new MemberIdentity { Error = $"cannot read the first 12 KiB: {e.Message}" };
        }
        bool sbOk = Superblock.TryDecode(head.AsSpan((int)MemberLayout.SuperblockOffset), out Superblock? primary, out string sbError);
        bool lbOk = MemberLabel.TryDecode(head.AsSpan((int)MemberLayout.LabelOffset), out MemberLabel? primaryLabel, out string lbError);
        MemberHeader.TryDecode(head, out MemberHeader? header, out _);

        // Backup locators, most trusted first: the primary superblock, the protective header, the current capacity.
        var candidates = new List<long>();
        if (primary is not null) candidates.Add(primary.Layout.BackupOffset);
        if (header is not null) candidates.Add(header.BackupOffset);
        candidates.Add(MemberLayout.BackupOffsetFor(device.CapacityBytes));
        Superblock? backup = null;
        MemberLabel? backupLabel = null;
        string backupError = "no backup location inside the device";
        long backupOffset = 0;
        var tail = new byte[2 * MemberLayout.BlockSize];
        foreach (long offset in candidates.Distinct())
        {
            if (offset < MemberLayout.JournalStart || offset + tail.Length > device.CapacityBytes)
            {
                continue;
            }
            try
            {
                device.ReadAt(offset, tail);
            }
            catch (IOException e)
            {
                backupError = $"cannot read the backup at {offset}: {e.Message}";
                continue;
            }
            if (Superblock.TryDecode(tail, out backup, out backupError))
            {
                MemberLabel.TryDecode(tail.AsSpan(MemberLayout.BlockSize), out backupLabel, out _);
                backupOffset = offset;
                break;
            }
        }

        string? primaryError = sbOk ? (lbOk ? primaryLabel!.MismatchWith(primary!) : lbError) : sbError;
        Superblock? chosen = primary ?? backup;
        if (chosen is null)
        {
            return new MemberIdentity
            {
                Error = $"no valid superblock: primary: {sbError}; backup: {backupError}",
                PrimaryError = sbError,
                BackupError = backupError,
            };
        }
        MemberLabel? label = null;
        string labelSource = "";
        if (primaryLabel is not null && primaryLabel.MismatchWith(chosen) is null)
        {
            label = primaryLabel;
            labelSource = "primary";
        }
        else if (backupLabel is not null && backupLabel.MismatchWith(chosen) is null)
        {
            label = backupLabel;
            labelSource = "backup";
        }
        string? backupProblem = backup is null ? backupError
            : backupLabel is null ? "backup label damaged"
            : backup.PoolUuid != chosen.PoolUuid || backup.MemberUuid != chosen.MemberUuid ? "backup belongs to another member" : null;
        string? error = null;
        if (device.CapacityBytes < chosen.Layout.CapacityBytes)
        {
            error = $"member is {device.CapacityBytes} bytes but its superblock records {chosen.Layout.CapacityBytes} (truncated image or wrong device?) — restore the full image or device";
        }
        return new MemberIdentity
        {
            Superblock = chosen,
            SuperblockSource = primary is not null ? "primary" : "backup",
            Label = label,
            LabelSource = labelSource,
            Error = error,
            PrimaryError = primaryError,
            BackupError = backupProblem,
            NeedsRepair = primaryError is not null || backupProblem is not null,
            BackupOffsetUsed = backupOffset,
        };
    }
}
