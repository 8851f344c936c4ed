namespace Argos.DataPath.Placement;

/// <summary>
/// Weighted, tier-aware rendezvous (highest-random-weight) hashing: every (stripe, member) pair gets a
/// pseudo-random u in (0,1) from a stable 64-bit mix of the stripe key and the member key, and the
/// member's score is  w / −ln(u)  with the effective weight
///
///     w = weight × tier factor × health × (free / capacity)²
///
/// The n members with the highest scores hold the stripe's n shards. With equal weights this spreads
/// shards uniformly; a member with weight 2 receives about twice the shards; a fuller member gets
/// fewer (capacity pressure), a sick member fewer (health); the tier factor prefers the requested tier.
/// Removing a member moves only the shards it held (the rendezvous property). A member without room
/// for the shard is never chosen, so a full member gives ENOSPC for its stripes rather than overfilling.
/// The result is recorded in the stripe's metadata; placement is never recomputed on read.
/// </summary>
public static class RendezvousPlacement
{
    /// <summary>Picks <paramref name="count"/> distinct members for one stripe, best first.</summary>
    /// <returns>false when fewer than <paramref name="count"/> members can take <paramref name="shardBytes"/>.</returns>
    public static bool TryChoose(
        ReadOnlySpan<PlacementCandidate> candidates,
        ulong stripeKey,
        int count,
        ulong shardBytes,
        Tier preferredTier,
        Span<int> chosenMembers)
    {
        if (count > chosenMembers.Length)
        {
            throw new ArgumentException($"room for {chosenMembers.Length} members but {count} requested", nameof(chosenMembers));
        }
        Span<double> bestScores = stackalloc double[count];
        bestScores.Fill(double.NegativeInfinity);
        var filled = 0;
        foreach (var c in candidates)
        {
            if (c.FreeBytes < shardBytes || c.Weight <= 0 || c.Health <= 0)
            {
                continue;
            }
            var score = Score(c, stripeKey, preferredTier);
            // Insertion into the small sorted top-`count` list.
            var pos = Math.Min(filled, count);
            while (pos > 0 && bestScores[pos - 1] < score)
            {
                if (pos < count)
                {
                    bestScores[pos] = bestScores[pos - 1];
                    chosenMembers[pos] = chosenMembers[pos - 1];
                }
                pos--;
            }
            if (pos < count)
            {
                bestScores[pos] = score;
                chosenMembers[pos] = c.MemberIndex;
                if (filled < count) filled++;
            }
        }
        return filled == count;
    }

    internal static double Score(in PlacementCandidate c, ulong stripeKey, Tier preferredTier)
    {
        var hash = Mix(stripeKey ^ Mix(c.MemberKey));
        // 53 random bits → u in (0, 1), never 0 or 1.
        var u = ((hash >> 11) + 0.5) / (1UL << 53);
        var fill = c.CapacityBytes == 0 ? 1.0 : (double)c.FreeBytes / c.CapacityBytes;
        var weight = c.Weight * TierFactor(c.Tier, preferredTier) * Math.Min(c.Health, 1.0) * fill * fill;
        return weight / -Math.Log(u);
    }

    internal static double TierFactor(Tier member, Tier preferred) =>
        member == preferred ? 2.0 : (member, preferred) switch
        {
            (Tier.Warm, _) or (_, Tier.Warm) => 1.0,
            _ => 0.5, // hot data on a cold member or the reverse
        };

    /// <summary>The stripe key: stable over the pool's life for one stripe version.</summary>
    public static ulong StripeKey(ulong poolSalt, ulong inode, ulong stripeIndex, ulong version) =>
        Mix(poolSalt ^ Mix(inode ^ Mix(stripeIndex ^ Mix(version))));

    /// <summary>SplitMix64's finalizer: a bijective 64-bit mix with full avalanche.</summary>
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
