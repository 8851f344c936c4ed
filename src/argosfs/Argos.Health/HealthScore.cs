namespace Argos.Health;

/// <summary>
/// A member's health as a score from 0 (replace it) to 100. Missing or failed members score 0;
/// shard errors (checksum failures and unreadable shards counted by reads, fsck and scrub) cost
/// score quadratically less at first, so a single bit flip is not an alarm and a failing disk is:
///   score = 100 × (1 − min(1, errors / ErrorsForZeroScore))²   … then −20 when over 95 % full.
/// </summary>
public static class HealthScore
{
    public static int Of(MemberHealth member, AutopilotPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(policy);
        if (member.State is MemberCondition.Missing or MemberCondition.Failed)
        {
            return 0;
        }
        if (member.State == MemberCondition.Removed)
        {
            return 100; // not part of the pool any more: nothing to worry about
        }
        double wear = Math.Min(1.0, (double)member.ShardErrors / Math.Max(1, policy.ErrorsForZeroScore));
        double score = 100 * (1 - wear) * (1 - wear);
        if (member.Fullness > policy.FullnessCritical)
        {
            score -= 20;
        }
        return (int)Math.Clamp(Math.Round(score), 0, 100);
    }
}
