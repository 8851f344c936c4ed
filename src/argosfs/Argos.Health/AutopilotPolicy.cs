namespace Argos.Health;

/// <summary>The knobs of the autopilot; the defaults are what `argosfs autopilot` uses.</summary>
public sealed record AutopilotPolicy
{
    /// <summary>A full scrub at least this often (ZFS and btrfs distributions default to monthly; a root pool is small).</summary>
    public TimeSpan ScrubInterval { get; init; } = TimeSpan.FromDays(7);

    /// <summary>New shard errors since the last scrub that trigger one at once.</summary>
    public long NewErrorsBeforeScrub { get; init; } = 1;

    /// <summary>Shard errors at which a member scores 0 (it should be replaced).</summary>
    public long ErrorsForZeroScore { get; init; } = 64;

    /// <summary>Member health score under which the autopilot says to replace the member.</summary>
    public int ReplaceBelowScore { get; init; } = 50;

    public double FullnessWarning { get; init; } = 0.85;

    public double FullnessCritical { get; init; } = 0.95;
}
