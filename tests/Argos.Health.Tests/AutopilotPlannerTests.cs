using Xunit;

namespace Argos.Health.Tests;

public class AutopilotPlannerTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly AutopilotPolicy s_policy = new();

    private static MemberHealth Online(int index, long errors = 0, long used = 10, long data = 100) => new(index, MemberCondition.Online, errors, used, data);

    private static HealthSnapshot Pool(IReadOnlyList<MemberHealth> members, ScrubRecord? last, int k = 2, int m = 1, bool readOnly = false)
        => new(s_now, k, m, readOnly, members, last);

    private static ScrubRecord RecentScrub(long errorsSeen = 0, long unrecoverable = 0)
        => new(s_now.AddDays(-1), unrecoverable == 0, 0, 0, unrecoverable, errorsSeen);

    [Fact]
    public void HealthyPool_RecentlyScrubbed_NothingToDo()
    {
        Assert.Empty(AutopilotPlanner.Plan(Pool([Online(0), Online(1), Online(2)], RecentScrub()), s_policy));
    }

    [Fact]
    public void NoScrubOnRecord_PlansOneScrub()
    {
        var actions = AutopilotPlanner.Plan(Pool([Online(0), Online(1), Online(2)], null), s_policy);
        var scrub = Assert.IsType<ScrubAction>(Assert.Single(actions));
        Assert.Contains("no scrub on record", scrub.Reason);
    }

    [Fact]
    public void ScrubOlderThanTheInterval_PlansAScrub_YoungerDoesNot()
    {
        var old = new ScrubRecord(s_now.AddDays(-8), true, 0, 0, 0, 0);
        Assert.Contains("8 days ago", Assert.IsType<ScrubAction>(Assert.Single(AutopilotPlanner.Plan(Pool([Online(0), Online(1), Online(2)], old), s_policy))).Reason);
        var young = new ScrubRecord(s_now.AddDays(-6), true, 0, 0, 0, 0);
        Assert.Empty(AutopilotPlanner.Plan(Pool([Online(0), Online(1), Online(2)], young), s_policy));
    }

    [Fact]
    public void NewShardErrors_PlanOneScrubNamingTheMember_OldErrorsDoNot()
    {
        var actions = AutopilotPlanner.Plan(Pool([Online(0), Online(1, errors: 3), Online(2)], RecentScrub(errorsSeen: 1)), s_policy);
        var scrub = Assert.IsType<ScrubAction>(Assert.Single(actions));
        Assert.Contains("2 new shard error(s)", scrub.Reason);
        Assert.Contains("member 1: 3", scrub.Reason);
        Assert.Empty(AutopilotPlanner.Plan(Pool([Online(0), Online(1, errors: 3), Online(2)], RecentScrub(errorsSeen: 3)), s_policy));
    }

    [Fact]
    public void SeveralReasons_StillOneScrub()
    {
        var actions = AutopilotPlanner.Plan(Pool([Online(0, errors: 1), Online(1), Online(2)], null), s_policy);
        Assert.Single(actions.OfType<ScrubAction>());
    }

    [Fact]
    public void MissingMember_WithoutSpare_IsCriticalAndDoesNotScrubForIt()
    {
        var actions = AutopilotPlanner.Plan(Pool([Online(0), Online(1), new(2, MemberCondition.Missing, 0, 0, 100)], RecentScrub()), s_policy);
        var alert = Assert.IsType<AlertAction>(Assert.Single(actions));
        Assert.Equal(("degraded", AlertSeverity.Critical), (alert.Code, alert.Severity));
        Assert.Contains("replace the missing one", alert.Message);
    }

    [Fact]
    public void MissingMember_WithSpare_ScrubsToRebuild()
    {
        var actions = AutopilotPlanner.Plan(Pool([Online(0), Online(1), Online(2), new(3, MemberCondition.Failed, 0, 0, 100)], RecentScrub()), s_policy);
        Assert.Contains("rebuild the shards of member(s) 3", Assert.IsType<ScrubAction>(actions[0]).Reason);
        Assert.Contains(actions, a => a is AlertAction { Code: "degraded" });
    }

    [Fact]
    public void MoreMissingThanM_DataUnavailable_NoScrub()
    {
        var actions = AutopilotPlanner.Plan(Pool([Online(0), new(1, MemberCondition.Missing, 0, 0, 100), new(2, MemberCondition.Missing, 0, 0, 100)], null), s_policy);
        Assert.Equal("data-unavailable", Assert.IsType<AlertAction>(Assert.Single(actions)).Code);
    }

    [Fact]
    public void ReadOnlyPool_IsNotScrubbed_ButSaysWhy()
    {
        var alert = Assert.IsType<AlertAction>(Assert.Single(AutopilotPlanner.Plan(Pool([Online(0), Online(1), Online(2)], null, readOnly: true), s_policy)));
        Assert.Equal("scrub-needs-rw", alert.Code);
    }

    [Fact]
    public void LastScrubUnrecoverable_IsCritical()
    {
        var actions = AutopilotPlanner.Plan(Pool([Online(0), Online(1), Online(2)], RecentScrub(unrecoverable: 2)), s_policy);
        Assert.Equal("unrecoverable-stripes", Assert.IsType<AlertAction>(Assert.Single(actions)).Code);
    }

    [Fact]
    public void FullAndUnhealthyMembers_AreReported()
    {
        var actions = AutopilotPlanner.Plan(Pool([Online(0, used: 90), Online(1, used: 97), Online(2, errors: 40)], RecentScrub(errorsSeen: 40)), s_policy);
        Assert.Contains(actions, a => a is AlertAction { Code: "member-filling", Severity: AlertSeverity.Warning } x && x.Message.Contains("member 0"));
        Assert.Contains(actions, a => a is AlertAction { Code: "member-full", Severity: AlertSeverity.Critical } x && x.Message.Contains("member 1"));
        Assert.Contains(actions, a => a is AlertAction { Code: "member-unhealthy" } x && x.Message.Contains("member 2"));
    }

    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 97)]
    [InlineData(16, 56)]
    [InlineData(32, 25)]
    [InlineData(64, 0)]
    [InlineData(1000, 0)]
    public void HealthScore_FallsWithShardErrors(long errors, int expected)
    {
        Assert.Equal(expected, HealthScore.Of(Online(0, errors), s_policy));
    }

    [Fact]
    public void HealthScore_MissingIsZero_FullCostsTwenty()
    {
        Assert.Equal(0, HealthScore.Of(new MemberHealth(0, MemberCondition.Missing, 0, 0, 100), s_policy));
        Assert.Equal(80, HealthScore.Of(Online(0, used: 99), s_policy));
    }
}
