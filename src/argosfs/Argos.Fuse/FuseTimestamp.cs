namespace Argos.Fuse;

/// <summary>Seconds since the epoch (may be negative) and nanoseconds 0..999,999,999, as fuse_attr and fuse_setattr_in carry them.</summary>
public readonly record struct FuseTimestamp(long Seconds, uint Nanoseconds)
{
    public static FuseTimestamp FromDateTimeOffset(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        return new FuseTimestamp(seconds, (uint)(remainder * 100));
    }

    public static FuseTimestamp Now => FromDateTimeOffset(DateTimeOffset.UtcNow);

    public DateTimeOffset ToDateTimeOffset()
        => DateTimeOffset.UnixEpoch.AddTicks((Seconds * TimeSpan.TicksPerSecond) + (Nanoseconds / 100));
}
