using Argos.Format;
using Argos.Format.Pool;

namespace Argos.Metadata.Log;

public enum PoolMemberState
{
    Online,
    Missing,
    Removed,
    Failed,
}

/// <summary>One member as inspect-pool shows it.</summary>
public sealed record PoolMemberInfo(
    MemberIndex Index, Guid MemberUuid, PoolMemberState State, string? Path, long CapacityBytes,
    long DataBytes, long UsedBytes, long FreeBytes, string? SuperblockSource);

/// <summary>What open found and did: the metadata source, replay counts, a cut tail, repairs.</summary>
public sealed record OpenReport
{
    public MemberIndex SourceMember { get; init; }
    public TxId CheckpointTxId { get; init; }
    public int JournalRecordsReplayed { get; init; }
    public TxId LastTxId { get; init; }
    public string? TailCutReason { get; init; }
    public long TailCutBytes { get; init; }
    public int TailCutRecords { get; init; }
    /// <summary>True when read-write open rewrote every member's checkpoint to bring them in line.</summary>
    public bool Resynced { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

public sealed record PoolInfo
{
    public Guid PoolUuid { get; init; }
    public string PoolName { get; init; } = "";
    public int K { get; init; }
    public int M { get; init; }
    public int ChunkSizeBytes { get; init; }
    public Generation Generation { get; init; }
    /// <summary>Whether every present member's superblock said "clean" when the pool was opened.</summary>
    public bool Clean { get; init; }
    public bool ReadOnly { get; init; }
    public bool Degraded => Missing.Count > 0;
    public IReadOnlyList<MemberIndex> Missing { get; init; } = [];
    public IReadOnlyList<PoolMemberInfo> Members { get; init; } = [];
    public TxId LastTxId { get; init; }
    public TxId DurableTxId { get; init; }
}

/// <summary>verify-journal: per member, both root slots, the checkpoint and the journal.</summary>
public sealed record MemberVerifyReport(
    MemberIndex Member, string Path, string? RootSlotAError, string? RootSlotBError, ulong LiveRootSequence,
    string? CheckpointError, JournalReport? Journal)
{
    public bool IsValid => CheckpointError is null && Journal is { IsClean: true } && (RootSlotAError is null || RootSlotBError is null);
}

public sealed record PoolVerifyReport(IReadOnlyList<MemberVerifyReport> Members)
{
    public bool IsValid => Members.All(m => m.IsValid);
}
