using Argos.DataPath.Placement;
using Xunit;

namespace Argos.DataPath.Tests;

public sealed class RendezvousPlacementTests
{
    private const ulong GiB = 1UL << 30;

    private static PlacementCandidate Member(int index, double weight = 1.0, Tier tier = Tier.Warm,
        ulong free = 100 * GiB, ulong capacity = 100 * GiB, double health = 1.0) =>
        new(index, RendezvousPlacement.Mix((ulong)index + 1000), weight, tier, free, capacity, health);

    private static int[] Choose(PlacementCandidate[] members, ulong key, int count, ulong shard = 4096, Tier tier = Tier.Warm)
    {
        var chosen = new int[count];
        Assert.True(RendezvousPlacement.TryChoose(members, key, count, shard, tier, chosen));
        return chosen;
    }

    [Fact]
    public void TryChoose_PicksDistinctMembers()
    {
        var members = Enumerable.Range(0, 6).Select(i => Member(i)).ToArray();
        for (ulong key = 0; key < 2000; key++)
        {
            var chosen = Choose(members, RendezvousPlacement.StripeKey(7, key, 0, 0), 6);
            Assert.Equal(6, chosen.Distinct().Count());
        }
    }

    [Fact]
    public void TryChoose_EqualWeights_SpreadsEvenly()
    {
        var members = Enumerable.Range(0, 5).Select(i => Member(i)).ToArray();
        var counts = new int[5];
        for (ulong key = 0; key < 20000; key++)
        {
            foreach (var m in Choose(members, RendezvousPlacement.StripeKey(1, key, 0, 0), 3)) counts[m]++;
        }
        var expected = 20000 * 3 / 5.0;
        Assert.All(counts, c => Assert.InRange(c, expected * 0.95, expected * 1.05));
    }

    [Fact]
    public void TryChoose_DoubleWeight_GetsMoreShards()
    {
        var members = new[] { Member(0, weight: 2.0), Member(1), Member(2), Member(3), Member(4) };
        var counts = new int[5];
        for (ulong key = 0; key < 20000; key++)
        {
            counts[Choose(members, RendezvousPlacement.StripeKey(1, key, 0, 0), 1)[0]]++;
        }
        // Weight 2 among four of weight 1: 2/6 of single-shard placements.
        Assert.InRange(counts[0] / 20000.0, 0.30, 0.37);
    }

    [Fact]
    public void TryChoose_RemovingAMember_MovesOnlyItsShards()
    {
        var members = Enumerable.Range(0, 6).Select(i => Member(i)).ToArray();
        var without = members.Where(m => m.MemberIndex != 2).ToArray();
        var moved = 0;
        for (ulong key = 0; key < 5000; key++)
        {
            var k = RendezvousPlacement.StripeKey(3, key, 0, 0);
            var before = Choose(members, k, 3);
            var after = Choose(without, k, 3);
            if (!before.Contains(2))
            {
                Assert.Equal(before, after);
            }
            else
            {
                moved++;
                Assert.Equal(before.Where(m => m != 2), after.Where(m => before.Contains(m)));
            }
        }
        Assert.InRange(moved, 2000, 3000); // about 3/6 of stripes touched member 2
    }

    [Fact]
    public void TryChoose_FullMember_IsNeverChosen_AndTooFewGivesFalse()
    {
        var members = new[] { Member(0, free: 1000), Member(1), Member(2), Member(3) };
        for (ulong key = 0; key < 1000; key++)
        {
            Assert.DoesNotContain(0, Choose(members, key, 3, shard: 4096));
        }
        var chosen = new int[4];
        Assert.False(RendezvousPlacement.TryChoose(members, 1, 4, 4096, Tier.Warm, chosen));
    }

    [Fact]
    public void TryChoose_PreferredTier_AttractsShards()
    {
        var members = new[] { Member(0, tier: Tier.Hot), Member(1, tier: Tier.Cold), Member(2, tier: Tier.Cold), Member(3, tier: Tier.Cold) };
        var hot = 0;
        for (ulong key = 0; key < 10000; key++)
        {
            if (Choose(members, RendezvousPlacement.StripeKey(9, key, 0, 0), 1, tier: Tier.Hot)[0] == 0) hot++;
        }
        Assert.True(hot > 10000 * 0.45, $"hot member got {hot} of 10000 single-shard placements");
    }

    [Fact]
    public void TryChoose_FullerAndSickerMembers_GetFewerShards()
    {
        var members = new[] { Member(0, free: 10 * GiB), Member(1, health: 0.3), Member(2), Member(3) };
        var counts = new int[4];
        for (ulong key = 0; key < 20000; key++)
        {
            counts[Choose(members, RendezvousPlacement.StripeKey(5, key, 0, 0), 1)[0]]++;
        }
        Assert.True(counts[0] < counts[2] / 4, $"90% full member got {counts[0]} vs {counts[2]}");
        Assert.True(counts[1] < counts[2] / 2, $"sick member got {counts[1]} vs {counts[2]}");
    }
}
