namespace Argos.Health;

/// <summary>
/// The autopilot's policy, pure: a snapshot in, the actions out (no I/O, no clock of its own), so
/// every rule is a unit test. The executor (`argosfs autopilot`) runs the actions and records the
/// scrub it ran for the next round. Rules, in order:
///  1. more members unavailable than m: critical (data is missing); nothing can be repaired.
///  2. some members unavailable: critical alert; a scrub rebuilds their shards when the pool has a
///     spare member to hold them (online members ≥ k + m) and is writable.
///  3. new shard errors since the last scrub: scrub now.
///  4. no scrub for ScrubInterval (or never): scrub.
///  5. the last scrub left unrecoverable stripes: critical.
///  6. a member scoring under ReplaceBelowScore: warning, replace it.
///  7. a member over FullnessWarning / FullnessCritical: warning / critical.
/// At most one scrub per round, whatever asked for it; a read-only pool is never scrubbed (it could
/// not repair) but says so.
/// </summary>
public static class AutopilotPlanner
{
    public static IReadOnlyList<PlannedAction> Plan(HealthSnapshot snapshot, AutopilotPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(policy);
        var actions = new List<PlannedAction>();
        var scrubReasons = new List<string>();
        int unavailable = snapshot.Unavailable;
        int online = snapshot.Members.Count(m => m.State == MemberCondition.Online);
        var down = string.Join(", ", snapshot.Members.Where(m => m.State is MemberCondition.Missing or MemberCondition.Failed).Select(m => $"{m.Index} ({m.State.ToString().ToLowerInvariant()})"));

        if (unavailable > snapshot.M)
        {
            actions.Add(new AlertAction(AlertSeverity.Critical, "data-unavailable",
                $"{unavailable} members unavailable ({down}) but the pool survives only {snapshot.M}: stripes are missing; reattach the members, then run 'argosfs fsck --full'"));
        }
        else if (unavailable > 0)
        {
            bool spare = online >= snapshot.K + snapshot.M;
            actions.Add(new AlertAction(AlertSeverity.Critical, "degraded",
                $"member(s) {down} unavailable: the pool runs degraded (one more loss {(unavailable == snapshot.M ? "loses data" : "leaves less redundancy")}); "
                + (spare ? "rebuilding their shards onto the spare member" : "add a member or replace the missing one, then run 'argosfs fsck --repair'")));
            if (spare)
            {
                scrubReasons.Add($"rebuild the shards of member(s) {down}");
            }
        }

        long newErrors = snapshot.TotalShardErrors - (snapshot.LastScrub?.ShardErrorsSeen ?? 0);
        if (newErrors >= policy.NewErrorsBeforeScrub && newErrors > 0)
        {
            var where = string.Join(", ", snapshot.Members.Where(m => m.ShardErrors > 0).Select(m => $"member {m.Index}: {m.ShardErrors}"));
            scrubReasons.Add($"{newErrors} new shard error(s) since the last scrub ({where})");
        }

        if (snapshot.LastScrub is null)
        {
            scrubReasons.Add("no scrub on record");
        }
        else if (snapshot.Now - snapshot.LastScrub.FinishedAt >= policy.ScrubInterval)
        {
            scrubReasons.Add($"last scrub {(snapshot.Now - snapshot.LastScrub.FinishedAt).TotalDays:0.#} days ago (interval {policy.ScrubInterval.TotalDays:0.#} days)");
        }

        if (snapshot.LastScrub is { Unrecoverable: > 0 } last)
        {
            actions.Add(new AlertAction(AlertSeverity.Critical, "unrecoverable-stripes",
                $"the last scrub ({last.FinishedAt:u}) found {last.Unrecoverable} stripe(s) it could not repair; run 'argosfs fsck --full' to list the files, restore them from a backup"));
        }

        foreach (var m in snapshot.Members.Where(m => m.State == MemberCondition.Online))
        {
            int score = HealthScore.Of(m, policy);
            if (score < policy.ReplaceBelowScore)
            {
                actions.Add(new AlertAction(AlertSeverity.Warning, "member-unhealthy",
                    $"member {m.Index} scores {score}/100 ({m.ShardErrors} shard errors): replace it before it fails"));
            }
            if (m.Fullness > policy.FullnessCritical)
            {
                actions.Add(new AlertAction(AlertSeverity.Critical, "member-full",
                    $"member {m.Index} is {m.Fullness:P0} full: writes will fail with ENOSPC soon; free space or add a member"));
            }
            else if (m.Fullness > policy.FullnessWarning)
            {
                actions.Add(new AlertAction(AlertSeverity.Warning, "member-filling",
                    $"member {m.Index} is {m.Fullness:P0} full"));
            }
        }

        if (scrubReasons.Count > 0 && unavailable <= snapshot.M)
        {
            if (snapshot.ReadOnly)
            {
                actions.Add(new AlertAction(AlertSeverity.Warning, "scrub-needs-rw",
                    $"a scrub is due ({string.Join("; ", scrubReasons)}) but the pool is mounted read-only; remount it read-write to let it repair"));
            }
            else
            {
                actions.Insert(0, new ScrubAction(string.Join("; ", scrubReasons)));
            }
        }
        return actions;
    }
}
