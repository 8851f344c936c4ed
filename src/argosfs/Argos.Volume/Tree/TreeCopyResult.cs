namespace Argos.Volume.Tree;

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
