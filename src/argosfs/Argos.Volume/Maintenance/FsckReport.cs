using Argos.Format;

namespace Argos.Volume.Maintenance;

/// <summary>What <see cref="ArgosVolume.Fsck"/> checks and may change.</summary>
public sealed record FsckOptions
{
    /// <summary>Also read every shard of every stripe and verify its CRC32C and the decoded plaintext checksum.</summary>
    public bool Full { get; init; }
    /// <summary>Fix what can be fixed: rebuild missing or corrupt shards, free leaked extents, correct link counts.</summary>
    public bool Repair { get; init; }
    /// <summary>Free inodes that no directory entry reaches from the root (their data too).</summary>
    public bool RemoveOrphans { get; init; }
    /// <summary>Shard reads are paced to at most this many bytes per second (0: unlimited). Scrub sets it.</summary>
    public long MaxBytesPerSecond { get; init; }
    /// <summary>Called after each verified stripe with (stripes done, stripes total); for progress lines.</summary>
    public Action<long, long>? Progress { get; init; }
}

public enum FsckSeverity
{
    /// <summary>Needs a repair; the pool is not clean while it stays.</summary>
    Error,
    /// <summary>Worth knowing, harmless to the data (e.g. an orphan a read-write open reclaims).</summary>
    Warning,
}

/// <summary>One finding. <see cref="Repaired"/> says whether this run fixed it.</summary>
public sealed record FsckIssue(
    string Kind, FsckSeverity Severity, string Message, InodeId? Inode = null, string? Path = null, ulong? Stripe = null)
{
    public bool Repaired { get; set; }
}

/// <summary>A stripe (or inode) whose data this run could not bring back to full redundancy.</summary>
public sealed record FsckUnrecoverable(InodeId Inode, string? Path, ulong? Stripe, string Reason);

/// <summary>The outcome of one fsck or scrub run.</summary>
public sealed class FsckReport
{
    public bool Full { get; init; }
    public bool Repair { get; init; }
    public long CheckedInodes { get; set; }
    public long CheckedDirents { get; set; }
    public long CheckedStripes { get; set; }
    /// <summary>Named snapshots checked (their frozen records and pins).</summary>
    public long CheckedSnapshots { get; set; }
    /// <summary>Shard records checked (metadata mode) or read and checksummed (full mode).</summary>
    public long CheckedShards { get; set; }
    public long CorruptShards { get; set; }
    public long MissingShards { get; set; }
    public long RepairedShards { get; set; }
    public long LeakedExtents { get; set; }
    public long LeakedBytes { get; set; }
    public long FreedLeakedExtents { get; set; }
    public long Orphans { get; set; }
    public long RemovedOrphans { get; set; }
    /// <summary>Shard bytes read and checksummed.</summary>
    public long BytesVerified { get; set; }
    public TimeSpan Elapsed { get; set; }
    public List<FsckIssue> Issues { get; } = new();
    public List<FsckUnrecoverable> Unrecoverable { get; } = new();
    /// <summary>Shard checksum failures and unreadable shards per member index, this session.</summary>
    public SortedDictionary<int, long> MemberErrors { get; } = new();

    /// <summary>Clean, or everything found was repaired: no unrepaired error and nothing unrecoverable.</summary>
    public bool Ok => Unrecoverable.Count == 0 && !Issues.Exists(i => i.Severity == FsckSeverity.Error && !i.Repaired);

    internal FsckIssue Add(string kind, FsckSeverity severity, string message, InodeId? ino = null, string? path = null, ulong? stripe = null)
    {
        var issue = new FsckIssue(kind, severity, message, ino, path, stripe);
        Issues.Add(issue);
        return issue;
    }
}
