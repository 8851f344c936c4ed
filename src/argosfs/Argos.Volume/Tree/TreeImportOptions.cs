namespace Argos.Volume.Tree;

public sealed record TreeImportOptions
{
    /// <summary>List unreadable source entries (and leave them out) instead of aborting on the first.</summary>
    public bool SkipErrors { get; init; }
    /// <summary>Do not descend into directories on another file system than SOURCE (their mount points are still created), like rsync -x.</summary>
    public bool OneFileSystem { get; init; }
    /// <summary>Paths relative to SOURCE left out entirely (e.g. "proc", "var/cache/apt").</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];
    /// <summary>Commit (make durable) after this many entries…</summary>
    public int BatchEntries { get; init; } = 1000;
    /// <summary>…or this many data bytes, whichever comes first.</summary>
    public long BatchBytes { get; init; } = 64L << 20;
    /// <summary>Files whose data is copied at once (stripes are compressed and encoded on that many cores).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;
    /// <summary>Called after every entry; the caller throttles its display.</summary>
    public Action<TreeProgress>? Progress { get; init; }
}
