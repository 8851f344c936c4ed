namespace Argos.Storage;

/// <summary>
/// Named crash points on the commit, checkpoint, open and mkfs paths (the list and the state each leaves:
/// docs/format.md §7). Armed by ARGOSFS_CRASH_POINT=name[,name…] (read once at start-up) or, in tests,
/// by <see cref="Arm"/> (flows with the async context, so parallel tests do not see each other's points).
/// When hit: ARGOSFS_CRASH_ABORT=1 kills the process (Environment.FailFast, no finally blocks, no flush);
/// otherwise a <see cref="CrashInjectedException"/> is thrown and the owner must be discarded unclosed.
/// </summary>
public static class CrashPoints
{
    public const string EnvironmentVariable = "ARGOSFS_CRASH_POINT";
    public const string AbortVariable = "ARGOSFS_CRASH_ABORT";

    public const string DataWritten = "data-written";
    public const string DataFlushed = "data-flushed";
    public const string JournalPartial = "journal-partial";
    public const string JournalWritten = "journal-written";
    public const string JournalFlushed = "journal-flushed";
    public const string CheckpointPayloadWritten = "checkpoint-payload-written";
    public const string CheckpointFlushed = "checkpoint-flushed";
    public const string RootSlotPartial = "root-slot-partial";
    public const string RootSlotWritten = "root-slot-written";
    public const string RootSlotFlushed = "root-slot-flushed";
    public const string SuperblockPartial = "superblock-partial";
    public const string SuperblockWritten = "superblock-written";
    public const string MkfsPartial = "mkfs-partial";
    public const string ReplayBeforeResync = "replay-before-resync";

    public static IReadOnlyList<string> All { get; } =
    [
        DataWritten, DataFlushed, JournalPartial, JournalWritten, JournalFlushed,
        CheckpointPayloadWritten, CheckpointFlushed, RootSlotPartial, RootSlotWritten, RootSlotFlushed,
        SuperblockPartial, SuperblockWritten, MkfsPartial, ReplayBeforeResync,
    ];

    private static readonly HashSet<string> s_fromEnvironment = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));
    private static readonly bool s_abort = Environment.GetEnvironmentVariable(AbortVariable) == "1";
    private static readonly AsyncLocal<HashSet<string>?> s_armed = new();

    private static HashSet<string> Parse(string? list)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(list))
        {
            return set;
        }
        foreach (string raw in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!All.Contains(raw))
            {
                Console.Error.WriteLine(
                    $"argosfs: {EnvironmentVariable}: unknown crash point '{raw}' ignored; known points: {string.Join(", ", All)}");
            }
            set.Add(raw);
        }
        return set;
    }

    public static bool IsArmed(string name)
        => s_fromEnvironment.Contains(name) || (s_armed.Value?.Contains(name) ?? false);

    /// <summary>Crashes here if the point is armed.</summary>
    public static void Hit(string name)
    {
        if (!IsArmed(name))
        {
            return;
        }
        if (s_abort)
        {
            Console.Error.WriteLine($"argosfs: crash point {name} hit; aborting ({AbortVariable}=1)");
            Console.Error.Flush();
            Environment.FailFast($"argosfs crash point {name}");
        }
        throw new CrashInjectedException(name);
    }

    /// <summary>Arms points for the current async flow until the returned scope is disposed.</summary>
    public static IDisposable Arm(params string[] names)
    {
        HashSet<string>? previous = s_armed.Value;
        var set = previous is null ? new HashSet<string>(StringComparer.Ordinal) : new HashSet<string>(previous, StringComparer.Ordinal);
        foreach (string n in names)
        {
            if (!All.Contains(n))
            {
                throw new ArgumentException($"unknown crash point '{n}'");
            }
            set.Add(n);
        }
        s_armed.Value = set;
        return new Scope(previous);
    }

    private sealed class Scope(HashSet<string>? previous) : IDisposable
    {
        public void Dispose() => s_armed.Value = previous;
    }
}

/// <summary>Thrown at an armed crash point (throw mode). The object that threw must not be used or closed cleanly.</summary>
public sealed class CrashInjectedException(string point) : Exception($"injected crash at {point}")
{
    public string Point { get; } = point;
}
