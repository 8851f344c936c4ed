namespace Argos.Metadata.Namespace;

/// <summary>
/// A point in time as Linux keeps it: seconds since the epoch (signed, full 64-bit range) and
/// nanoseconds 0..999,999,999. Ordering is chronological.
/// </summary>
public readonly record struct Timespec(long Seconds, uint Nanoseconds) : IComparable<Timespec>
{
    /// <summary>utimensat(2)'s UTIME_NOW nanosecond value: ((1 &lt;&lt; 30) - 1).</summary>
    public const uint UtimeNow = (1u << 30) - 1;
    /// <summary>utimensat(2)'s UTIME_OMIT nanosecond value: ((1 &lt;&lt; 30) - 2).</summary>
    public const uint UtimeOmit = (1u << 30) - 2;
    public const uint NanosecondsPerSecond = 1_000_000_000;

    private const long UnixEpochTicks = 621355968000000000; // DateTime(1970,1,1).Ticks

    public bool IsValid => Nanoseconds < NanosecondsPerSecond;

    /// <summary>The wall clock at 100 ns resolution (DateTime's tick).</summary>
    public static Timespec Now()
    {
        long ticks = DateTime.UtcNow.Ticks - UnixEpochTicks;
        return new Timespec(ticks / TimeSpan.TicksPerSecond, (uint)(ticks % TimeSpan.TicksPerSecond) * 100);
    }

    public static Timespec FromUnixNanoseconds(long ns)
    {
        long sec = Math.DivRem(ns, NanosecondsPerSecond, out long rem);
        if (rem < 0)
        {
            sec--;
            rem += NanosecondsPerSecond;
        }
        return new Timespec(sec, (uint)rem);
    }

    public int CompareTo(Timespec other)
    {
        int c = Seconds.CompareTo(other.Seconds);
        return c != 0 ? c : Nanoseconds.CompareTo(other.Nanoseconds);
    }

    public static bool operator <(Timespec a, Timespec b) => a.CompareTo(b) < 0;
    public static bool operator >(Timespec a, Timespec b) => a.CompareTo(b) > 0;
    public static bool operator <=(Timespec a, Timespec b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Timespec a, Timespec b) => a.CompareTo(b) >= 0;

    public override string ToString() => $"{Seconds}.{Nanoseconds:D9}";
}

/// <summary>How a SetAttr changes atime or mtime: leave it (UTIME_OMIT), set it to now (UTIME_NOW), or set it.</summary>
public readonly record struct TimeChange
{
    private TimeChange(TimeChangeKind kind, Timespec value)
    {
        Kind = kind;
        Value = value;
    }

    public TimeChangeKind Kind { get; }
    public Timespec Value { get; }

    public static TimeChange Omit => default;
    public static TimeChange Now => new(TimeChangeKind.Now, default);

    public static TimeChange At(Timespec value) => new(TimeChangeKind.Set, value);

    /// <summary>Maps a utimensat(2) timespec, honouring UTIME_NOW and UTIME_OMIT.</summary>
    public static TimeChange FromUtimensat(long seconds, uint nanoseconds) => nanoseconds switch
    {
        Timespec.UtimeOmit => Omit,
        Timespec.UtimeNow => Now,
        _ => At(new Timespec(seconds, nanoseconds)),
    };
}

public enum TimeChangeKind : byte
{
    Omit = 0,
    Now = 1,
    Set = 2,
}
