namespace Argos.DataPath.Placement;

/// <summary>Storage tier of a member: hot (NVMe/SSD), warm, cold (HDD).</summary>
public enum Tier : byte
{
    Warm = 0,
    Hot = 1,
    Cold = 2,
}

/// <summary>
/// One member as placement sees it. <paramref name="Weight"/> is the operator's or prober's relative
/// speed/size weight (1.0 = ordinary); <paramref name="Health"/> is 1.0 for a healthy member, falling
/// towards 0 as its risk score rises; members that cannot take writes are left out by the caller.
/// </summary>
public readonly record struct PlacementCandidate(
    int MemberIndex,
    ulong MemberKey,
    double Weight,
    Tier Tier,
    ulong FreeBytes,
    ulong CapacityBytes,
    double Health);
