namespace Argos.Health;

public enum MemberCondition
{
    Online,
    Missing,
    Failed,
    Removed,
}

/// <summary>One member as the planner sees it: state, shard errors counted since the pool was opened, space.</summary>
public sealed record MemberHealth(int Index, MemberCondition State, long ShardErrors, long UsedBytes, long DataBytes)
{
    public double Fullness => DataBytes <= 0 ? 0 : (double)UsedBytes / DataBytes;
}

/// <summary>The last scrub the autopilot knows of (its own state file keeps it across restarts).</summary>
public sealed record ScrubRecord(DateTimeOffset FinishedAt, bool Ok, long CorruptShards, long RepairedShards, long Unrecoverable, long ShardErrorsSeen);

/// <summary>Everything the planner decides from: a pure value, built by the executor from the pool's status.</summary>
public sealed record HealthSnapshot(
    DateTimeOffset Now,
    int K,
    int M,
    bool ReadOnly,
    IReadOnlyList<MemberHealth> Members,
    ScrubRecord? LastScrub)
{
    public long TotalShardErrors => Members.Sum(m => m.ShardErrors);

    public int Unavailable => Members.Count(m => m.State is MemberCondition.Missing or MemberCondition.Failed);
}
