using Argos.Format.Pool;

namespace Argos.Storage;

/// <summary>One scanned path, in the shape the CLI prints (`scan --json`).</summary>
public sealed record ScanResult
{
    public required string Path { get; init; }
    public bool Valid { get; init; }
    public string? Error { get; init; }
    public Guid? PoolUuid { get; init; }
    public Guid? DeviceUuid { get; init; }
    public int? DiskIndex { get; init; }
    public ulong? Generation { get; init; }
    public bool? Clean { get; init; }
    public string? PoolName { get; init; }
    public long CapacityBytes { get; init; }
    /// <summary>"primary" or "backup" (the copy the identity came from); null when invalid.</summary>
    public string? SuperblockSource { get; init; }
    public string? LabelSource { get; init; }
    public int? K { get; init; }
    public int? M { get; init; }
    public int? MemberCount { get; init; }
    /// <summary>Damage found on a valid member (a primary or backup copy to be rewritten at the next read-write open).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>Read-only identification of members; takes no locks and writes nothing.</summary>
public static class MemberScanner
{
    public static IReadOnlyList<ScanResult> Scan(IEnumerable<string> paths) => paths.Select(ScanOne).ToList();

    public static ScanResult ScanOne(string path)
    {
        FileMemberDevice device;
        try
        {
            device = FileMemberDevice.Open(path, readOnly: true, MemberLock.None);
        }
        catch (Exception e) when (e is IOException)
        {
            return new ScanResult { Path = path, Valid = false, Error = e.Message };
        }
        using (device)
        {
            return FromIdentity(path, device.CapacityBytes, MemberIdentityReader.Read(device));
        }
    }

    public static ScanResult FromIdentity(string path, long capacity, MemberIdentity id)
    {
        Superblock? sb = id.Superblock;
        var warnings = new List<string>();
        if (id.IsValid && id.PrimaryError is not null) warnings.Add("primary copy damaged: " + id.PrimaryError);
        if (id.IsValid && id.BackupError is not null) warnings.Add("backup copy damaged: " + id.BackupError);
        return new ScanResult
        {
            Path = path,
            Valid = id.IsValid,
            Error = id.Error,
            PoolUuid = sb?.PoolUuid,
            DeviceUuid = sb?.MemberUuid,
            DiskIndex = sb?.MemberIndex.Value,
            Generation = sb?.Generation.Value,
            Clean = sb?.Clean,
            PoolName = sb?.PoolName,
            CapacityBytes = capacity,
            SuperblockSource = sb is null ? null : id.SuperblockSource,
            LabelSource = id.Label is null ? null : id.LabelSource,
            K = sb?.K,
            M = sb?.M,
            MemberCount = sb?.MemberCount,
            Warnings = warnings,
        };
    }
}
