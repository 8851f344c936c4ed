namespace Argos.Volume.Tree;

/// <summary>Counts so far, for progress display.</summary>
public readonly record struct TreeProgress(long Entries, long Files, long Directories, long Bytes, TimeSpan Elapsed, string CurrentPath);
