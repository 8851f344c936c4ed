namespace Argos.Volume.Tree;

/// <summary>Counts so far, for progress display.</summary>
public readonly record struct TreeProgress(long Entries, long Files, long Directories, long Bytes, TimeSpan Elapsed, string CurrentPath);

public sealed record TreeImportOptions
{
    /// <summary>List unreadable source entries (and leave them out) instead of aborting on the first.</summary>
    public bool SkipErrors { get; init; }
    /// <summary>Do not descend into directories on another file system than SOURCE (their mount points are still created), like rsync -x.</summary>
    public bool OneFileSystem { get; init; }
    /// <summary>Commit (make durable) after this many entries…</summary>
    public int BatchEntries { get; init; } = 1000;
    /// <summary>…or this many data bytes, whichever comes first.</summary>
    public long BatchBytes { get; init; } = 64L << 20;
    /// <summary>Called after every entry; the caller throttles its display.</summary>
    public Action<TreeProgress>? Progress { get; init; }
}

public sealed record TreeExportOptions
{
    public Action<TreeProgress>? Progress { get; init; }
}

/// <summary>What an import or export copied.</summary>
public sealed record TreeCopyResult
{
    public long Files { get; init; }
    public long Directories { get; init; }
    public long Symlinks { get; init; }
    /// <summary>Character and block devices, FIFOs and sockets.</summary>
    public long Specials { get; init; }
    /// <summary>Names made as extra links to an inode already copied.</summary>
    public long HardLinks { get; init; }
    /// <summary>Logical bytes of regular files (holes included).</summary>
    public long Bytes { get; init; }
    /// <summary>Data bytes actually copied (holes excluded).</summary>
    public long DataBytes { get; init; }
    public long Xattrs { get; init; }
    public int Commits { get; init; }
    public TimeSpan Elapsed { get; init; }
    /// <summary>Entries left out with <see cref="TreeImportOptions.SkipErrors"/>: path and reason.</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];

    public long Entries => Files + Directories + Symlinks + Specials + HardLinks;
}
