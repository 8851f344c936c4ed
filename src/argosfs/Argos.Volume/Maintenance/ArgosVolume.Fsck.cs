// fsck: the consistency check of a pool, in two tiers.
//
//   metadata (default; reads no shard, so it is cheap enough for every boot):
//     namespace  every inode reachable from the root; each directory entry names an existing inode of
//                the type it says; link counts equal the entries naming the inode (directories:
//                2 + subdirectories); a directory's parent field names the directory that holds it;
//                inodes no entry reaches are orphans (pending reclaim when an Orphan record says so).
//     stripes    each record belongs to a regular file; its layout is well-formed (k+m or m+1 shards
//                of chunk bytes each, on distinct members of the member table); shards on missing
//                members are counted (a rebuild is due); no two stripes share an extent.
//     snapshots  every frozen record decodes and belongs to a named snapshot; each snapshot has a root;
//                every extent its frozen stripes name is pinned by it (I-S2); pins count as references.
//     allocator  MetadataLog.CheckAllocations(every referenced extent): leaks (allocated, referenced
//                by nothing — the Rust original cannot see these), referenced-but-free, overlaps.
//   full (--full, and scrub): every shard of every stripe is read and its CRC32C checked; the stripe
//                is decoded and its plaintext CRC32C checked end to end (when the key is at hand).
//
// Repair (--repair) works stripe by stripe with one stripe in memory: the lost shards are rebuilt from
// the survivors (Reed-Solomon, or a good replica), written into NEW extents on members holding no
// other shard of the stripe, flushed, then the record swap + AllocOps.Allocated(new) +
// AllocOps.Freed(old) commit in one transaction. Nothing is overwritten in place, no file is read
// whole, and file size is irrelevant. Metadata inconsistencies are fixed with record-level
// transactions (ArgosVolume.FsckRepair.cs).
using System.Diagnostics;
using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Namespace;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Volume.Maintenance;

namespace Argos.Volume;

public sealed partial class ArgosVolume
{
    /// <summary>Checks the pool (and repairs it when asked); see the top of this file for what is checked.</summary>
    public FsckReport Fsck(FsckOptions? options = null)
    {
        options ??= new FsckOptions();
        if (options.Repair || options.RemoveOrphans)
        {
            ThrowIfReadOnly(options.Repair ? "fsck --repair" : "fsck --remove-orphans");
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        var clock = Stopwatch.StartNew();
        var report = new FsckReport { Full = options.Full, Repair = options.Repair };
        if (!ReadOnly)
        {
            Sync(); // buffered file data becomes stripes first, so fsck sees what readers see
        }
        FsckScan scan;
        lock (_commitGate)
        {
            scan = ScanMetadata(report);
            CheckStripeRecords(scan, report);
            CheckSnapshots(scan, report);
            CheckAllocator(scan, report);
            if (options.Repair)
            {
                RepairMetadata(scan, report);
            }
            if (options.RemoveOrphans)
            {
                RemoveUnreachable(scan, report);
            }
        }
        if (options.Full || options.Repair)
        {
            VerifyStripes(scan, report, options);
        }
        if (!ReadOnly)
        {
            Sync();
        }
        foreach (var (member, count) in _shardErrors)
        {
            report.MemberErrors[member] = count;
        }
        report.Elapsed = clock.Elapsed;
        return report;
    }

    /// <summary>Scrub: fsck --full --repair, paced to <paramref name="maxBytesPerSecond"/> (0: unlimited).</summary>
    public FsckReport Scrub(long maxBytesPerSecond = 0, Action<long, long>? progress = null) =>
        Fsck(new FsckOptions { Full = true, Repair = !ReadOnly, MaxBytesPerSecond = maxBytesPerSecond, Progress = progress });

    // ---- the scan ------------------------------------------------------------------------------

    private sealed class FsckInode(InodeRecord record)
    {
        public InodeRecord Record = record;
        public uint Links;
        public uint Subdirectories;
        public ulong LinkParent;
        public byte[]? LinkName;
        public bool Reachable;
        public bool Removed;
    }

    private readonly record struct FsckDirent(ulong Parent, byte[] Name, ulong Child, byte Type, ulong Cookie);

    private sealed class FsckStripe(InodeId ino, ulong index, StripeRecord record)
    {
        public readonly InodeId Ino = ino;
        public readonly ulong Index = index;
        public StripeRecord Record = record;
        /// <summary>Layout unusable: never read, never repaired.</summary>
        public bool Malformed;
        /// <summary>Record deleted by this run (orphan removal, stripe of a missing inode).</summary>
        public bool Removed;
        public bool HasMissingShards;
    }

    private sealed class FsckScan
    {
        public readonly Dictionary<ulong, FsckInode> Inodes = new();
        public readonly List<FsckDirent> Dirents = new();
        public readonly Dictionary<ulong, List<int>> Children = new();
        public readonly List<(ulong Ino, byte[] Key)> Xattrs = new();
        public readonly HashSet<ulong> OrphanRecords = new();
        public readonly List<FsckStripe> Stripes = new();
        /// <summary>How many stripe shards reference each extent (more than one is corruption).</summary>
        public readonly Dictionary<Extent, int> ExtentRefs = new();
        public readonly List<Extent> Pinned = new();
        public readonly FsckSnapshots Snapshots = new();
        public readonly Dictionary<int, long> MissingByMember = new();
        public readonly Dictionary<int, FsckIssue> MissingIssues = new();
        public readonly Dictionary<int, long> RebuiltByMember = new();
        public Argos.Storage.AllocationCheckReport? Allocation;
    }

    /// <summary>Reads every namespace record once (in memory: no device I/O) under the commit gate.</summary>
    private FsckScan ScanMetadata(FsckReport report)
    {
        var scan = new FsckScan();
        foreach (var op in _ns.EnumerateAll())
        {
            var key = op.Key.Span;
            var value = op.Value!.Value.Span;
            switch (op.Kind)
            {
                case RecordKind.Inode:
                    if (InodeRecordCodec.TryDecodeKey(key, out var ino) &&
                        InodeRecordCodec.TryDecodeValue(ino, value, out var inode, out var inodeError))
                    {
                        scan.Inodes[ino.Value] = new FsckInode(inode);
                    }
                    else
                    {
                        report.Add("bad-record", FsckSeverity.Error, $"an inode record does not decode ({Convert.ToHexString(key)}); restore from backup");
                    }
                    break;
                case RecordKind.Dirent:
                    if (DirentCodec.TryDecodeKey(key, out var parent, out var name) &&
                        DirentCodec.TryDecodeValue(value, out var child, out var type, out var cookie, out _))
                    {
                        scan.Dirents.Add(new FsckDirent(parent.Value, name.ToArray(), child.Value, type, cookie));
                    }
                    else
                    {
                        report.Add("bad-record", FsckSeverity.Error, $"a directory entry record does not decode ({Convert.ToHexString(key)})");
                    }
                    break;
                case RecordKind.Xattr:
                    if (XattrCodec.TryDecodeKey(key, out var owner, out _))
                    {
                        scan.Xattrs.Add((owner.Value, key.ToArray()));
                    }
                    break;
                case RecordKind.Orphan:
                    if (OrphanCodec.TryDecodeKey(key, out var orphan))
                    {
                        scan.OrphanRecords.Add(orphan.Value);
                    }
                    break;
                case RecordKind.Stripe:
                    if (StripeRecordCodec.TryDecodeKey(key, out var sino, out var sindex) &&
                        StripeRecordCodec.TryDecodeValue(value, out var stripe, out _))
                    {
                        scan.Stripes.Add(new FsckStripe(sino, sindex.Value, stripe));
                    }
                    else
                    {
                        report.Add("bad-record", FsckSeverity.Error, $"a stripe record does not decode ({Convert.ToHexString(key)}); its file has lost data");
                    }
                    break;
                case RecordKind.PinnedExtent:
                case RecordKind.Snapshot:
                case RecordKind.SnapshotData:
                    ScanSnapshotRecord(scan, report, op.Kind, key, value);
                    break;
            }
        }
        report.CheckedInodes = scan.Inodes.Count;
        report.CheckedDirents = scan.Dirents.Count;
        CheckNamespace(scan, report);
        return scan;
    }

    private void CheckNamespace(FsckScan scan, FsckReport report)
    {
        if (!scan.Inodes.TryGetValue(InodeId.Root.Value, out var root) || !PosixMode.IsDirectory(root.Record.Attributes.Mode))
        {
            report.Add("no-root", FsckSeverity.Error, "the root directory (inode 1) is missing or not a directory; the namespace cannot be walked — restore from backup");
        }

        // Entries: existence, type, link counts.
        for (var i = 0; i < scan.Dirents.Count; i++)
        {
            var d = scan.Dirents[i];
            var where = $"entry '{Printable(d.Name)}' in directory {d.Parent}";
            if (!scan.Inodes.TryGetValue(d.Parent, out var dir) || !PosixMode.IsDirectory(dir.Record.Attributes.Mode))
            {
                report.Add("entry-without-directory", FsckSeverity.Error, $"{where}: the directory does not exist or is not a directory", new InodeId(d.Child));
                continue;
            }
            if (!scan.Inodes.TryGetValue(d.Child, out var child))
            {
                report.Add("dangling-entry", FsckSeverity.Error, $"{where} names inode {d.Child}, which does not exist", new InodeId(d.Child), PathOf(scan, d.Parent) is { } dp ? dp.TrimEnd('/') + "/" + Printable(d.Name) : null);
                continue;
            }
            var expectedType = PosixMode.DirentType(child.Record.Attributes.Mode);
            if (d.Type != expectedType)
            {
                report.Add("entry-type", FsckSeverity.Error, $"{where} says type {d.Type} but inode {d.Child} is type {expectedType}", new InodeId(d.Child));
            }
            if (!scan.Children.TryGetValue(d.Parent, out var list))
            {
                scan.Children[d.Parent] = list = new List<int>();
            }
            list.Add(i);
            child.Links++;
            if (PosixMode.IsDirectory(child.Record.Attributes.Mode))
            {
                dir.Subdirectories++;
                if (child.LinkParent != 0)
                {
                    report.Add("directory-hard-link", FsckSeverity.Error,
                        $"directory inode {d.Child} has more than one entry ({where} and one in directory {child.LinkParent}); remove the extra entry", new InodeId(d.Child));
                }
            }
            if (child.LinkParent == 0)
            {
                child.LinkParent = d.Parent;
                child.LinkName = d.Name;
            }
        }

        // Reachability from the root (breadth first; a directory is entered once).
        if (root is not null)
        {
            var queue = new Queue<ulong>();
            root.Reachable = true;
            queue.Enqueue(InodeId.Root.Value);
            while (queue.Count > 0)
            {
                var dir = queue.Dequeue();
                if (!scan.Children.TryGetValue(dir, out var entries)) continue;
                foreach (var i in entries)
                {
                    var node = scan.Inodes[scan.Dirents[i].Child];
                    if (node.Reachable) continue;
                    node.Reachable = true;
                    if (PosixMode.IsDirectory(node.Record.Attributes.Mode)) queue.Enqueue(scan.Dirents[i].Child);
                }
            }
        }

        foreach (var (ino, node) in scan.Inodes)
        {
            var a = node.Record.Attributes;
            var id = new InodeId(ino);
            if (!node.Reachable)
            {
                report.Orphans++;
                if (scan.OrphanRecords.Contains(ino) && a.Nlink == 0)
                {
                    report.Add("orphan", FsckSeverity.Warning,
                        $"inode {ino} was unlinked while open; the next read-write open reclaims it", id);
                }
                else
                {
                    report.Add("unreachable", FsckSeverity.Error,
                        $"inode {ino} ({PosixMode.TypeOf(a.Mode).ToString().ToLowerInvariant()}, {a.Size} bytes, nlink {a.Nlink}) is reached by no directory entry from the root; 'fsck --remove-orphans' frees it", id);
                }
                continue;
            }
            if (PosixMode.IsDirectory(a.Mode))
            {
                var expected = 2 + node.Subdirectories;
                if (a.Nlink != expected)
                {
                    report.Add("nlink", FsckSeverity.Error, $"directory has nlink {a.Nlink} but {expected} (2 + subdirectories) is right", id, PathOf(scan, ino));
                }
                var parent = ino == InodeId.Root.Value ? InodeId.Root.Value : node.LinkParent;
                if (node.Record.Parent != parent)
                {
                    report.Add("parent", FsckSeverity.Error, $"directory's parent field says {node.Record.Parent} but its entry is in directory {parent}", id, PathOf(scan, ino));
                }
            }
            else if (a.Nlink != node.Links)
            {
                report.Add("nlink", FsckSeverity.Error, $"nlink is {a.Nlink} but {node.Links} directory entries name the inode", id, PathOf(scan, ino));
            }
            if (PosixMode.IsRegular(a.Mode) && node.Record.Data.Length > 0)
            {
                if ((ulong)node.Record.Data.Length > a.Size)
                {
                    report.Add("inline-size", FsckSeverity.Warning, $"inline data holds {node.Record.Data.Length} bytes, more than the file size {a.Size}", id, PathOf(scan, ino));
                }
                if (Settings.Encrypted)
                {
                    report.Add("inline-plaintext", FsckSeverity.Warning,
                        "file data is stored inline in plaintext on an encrypted pool; 'argosfs enable-encryption --reencrypt' moves it into an encrypted stripe", id, PathOf(scan, ino));
                }
            }
        }
        foreach (var ino in scan.OrphanRecords)
        {
            if (!scan.Inodes.ContainsKey(ino))
            {
                report.Add("stale-orphan-record", FsckSeverity.Warning, $"orphan record for inode {ino}, which no longer exists; the next read-write open drops it", new InodeId(ino));
            }
        }
    }

    private void CheckStripeRecords(FsckScan scan, FsckReport report)
    {
        var members = _log.Members.ToDictionary(m => m.Index.Value);
        var s = (ulong)StripeDataBytes;
        foreach (var st in scan.Stripes)
        {
            report.CheckedStripes++;
            var r = st.Record;
            var shards = r.Shards.Span;
            report.CheckedShards += shards.Length;
            scan.Inodes.TryGetValue(st.Ino.Value, out var owner);
            var problem = LayoutProblem(r, members);
            string? path = null;
            if (owner is null || !PosixMode.IsRegular(owner.Record.Attributes.Mode) || st.Index * s >= owner.Record.Attributes.Size ||
                problem is not null || (r.Encrypted && !Settings.Encrypted))
            {
                path = owner is null ? null : PathOf(scan, st.Ino.Value); // only stripes with a finding pay for a path
            }
            if (owner is null || !PosixMode.IsRegular(owner.Record.Attributes.Mode))
            {
                report.Add("stripe-without-file", FsckSeverity.Error,
                    owner is null ? $"stripe {st.Index} belongs to inode {st.Ino}, which does not exist" : $"stripe {st.Index} belongs to inode {st.Ino}, which is not a regular file",
                    st.Ino, path, st.Index);
            }
            else if (st.Index * s >= owner.Record.Attributes.Size)
            {
                report.Add("stripe-past-eof", FsckSeverity.Warning, $"stripe {st.Index} starts past the end of the file ({owner.Record.Attributes.Size} bytes)", st.Ino, path, st.Index);
            }

            if (problem is not null)
            {
                st.Malformed = true;
                report.Add("bad-stripe", FsckSeverity.Error, $"stripe {st.Index}: {problem}", st.Ino, path, st.Index);
                report.Unrecoverable.Add(new FsckUnrecoverable(st.Ino, path, st.Index, "malformed stripe record: " + problem));
            }
            if (r.Encrypted && !Settings.Encrypted)
            {
                report.Add("stripe-encrypted", FsckSeverity.Warning, $"stripe {st.Index} is encrypted but the pool settings say encryption is off", st.Ino, path, st.Index);
            }
            foreach (var loc in shards)
            {
                if (!_log.IsPresent(new MemberIndex(loc.Member)))
                {
                    st.HasMissingShards = true;
                    report.MissingShards++;
                    scan.MissingByMember[loc.Member] = scan.MissingByMember.GetValueOrDefault(loc.Member) + 1;
                }
            }
            if (st.Malformed) continue;
            foreach (var e in ExtentsOf(r))
            {
                var refs = scan.ExtentRefs.GetValueOrDefault(e) + 1;
                scan.ExtentRefs[e] = refs;
                if (refs == 2)
                {
                    report.Add("shared-extent", FsckSeverity.Error,
                        $"stripe {st.Index}: {Describe(e)} is also used by another stripe; one of them holds the wrong data ('fsck --full --repair' moves the bad one)", st.Ino, path ?? PathOf(scan, st.Ino.Value), st.Index);
                }
            }
        }
        foreach (var (member, count) in scan.MissingByMember)
        {
            scan.MissingIssues[member] = report.Add("missing-member-shards", FsckSeverity.Error,
                $"member {member} is missing: {count} shards live on it; 'fsck --repair' rebuilds them onto the other members when one holds no shard of the stripe, else replace the member");
        }
    }

    /// <summary>Why a stripe record cannot describe readable data (null when it is well-formed).</summary>
    private string? LayoutProblem(in StripeRecord r, Dictionary<int, MemberRecord> members)
    {
        var shards = r.Shards.Span;
        if (r.Kind is not (StripeKind.ErasureCoded or StripeKind.Replicated)) return $"unknown layout kind {(byte)r.Kind}";
        if (r.K < 1 || (r.Kind == StripeKind.Replicated && r.K != 1)) return $"k = {r.K} is invalid for a {r.Kind} stripe";
        if (shards.Length != r.ExpectedShardCount) return $"{shards.Length} shards, but the layout needs {r.ExpectedShardCount}";
        if (r.ChunkBytes == 0) return "zero-length shards";
        if (r.RawLength == 0 || r.RawLength > (ulong)StripeDataBytes) return $"raw length {r.RawLength} is outside 1..{StripeDataBytes}";
        var dataShards = r.Kind == StripeKind.Replicated ? 1UL : r.K;
        if (r.StoredLength == 0 || r.StoredLength > dataShards * r.ChunkBytes) return $"stored length {r.StoredLength} does not fit {dataShards} shards of {r.ChunkBytes} bytes";
        for (var i = 0; i < shards.Length; i++)
        {
            var loc = shards[i];
            if (loc.LengthBytes != r.ChunkBytes) return $"shard {i} is {loc.LengthBytes} bytes, the stripe's shards are {r.ChunkBytes}";
            if (!members.TryGetValue(loc.Member, out var m)) return $"shard {i} is on member {loc.Member}, which is not in the member table";
            if (m.State == MemberState.Removed) return $"shard {i} is on member {loc.Member}, which was removed from the pool";
            for (var j = 0; j < i; j++)
            {
                if (shards[j].Member == loc.Member) return $"shards {j} and {i} are both on member {loc.Member}; losing it would take both";
            }
        }
        return null;
    }

    private void CheckAllocator(FsckScan scan, FsckReport report)
    {
        var referenced = scan.ExtentRefs.Keys.Concat(scan.Pinned).ToList();
        var check = _log.CheckAllocations(referenced);
        foreach (var leak in check.Leaks)
        {
            report.LeakedExtents++;
            report.LeakedBytes += leak.LengthBytes;
            report.Add("leak", FsckSeverity.Error, $"{Describe(leak)} is allocated but nothing references it; 'fsck --repair' frees it");
        }
        foreach (var e in check.ReferencedButFree)
        {
            var (ino, index) = OwnerOf(scan, e);
            report.Add("referenced-free", FsckSeverity.Error, $"{Describe(e)} is in use but the allocator has it free; 'fsck --repair' marks it allocated", ino, ino is { } i ? PathOf(scan, i.Value) : null, index);
        }
        foreach (var e in check.Overlapping)
        {
            var (ino, index) = OwnerOf(scan, e);
            report.Add("overlap", FsckSeverity.Error, $"{Describe(e)} overlaps another referenced extent (a stripe or the metadata checkpoint); 'fsck --full --repair' moves shards that fail their checksum", ino, ino is { } i ? PathOf(scan, i.Value) : null, index);
        }
        foreach (var e in check.OutsideDataRegion)
        {
            var (ino, index) = OwnerOf(scan, e);
            report.Add("outside-data-region", FsckSeverity.Error, $"{Describe(e)} lies outside its member's data region", ino, ino is { } i ? PathOf(scan, i.Value) : null, index);
        }
        scan.Allocation = check;
    }

    private static (InodeId?, ulong?) OwnerOf(FsckScan scan, Extent e)
    {
        foreach (var st in scan.Stripes)
        {
            if (st.Malformed) continue;
            foreach (var x in ExtentsOf(st.Record))
            {
                if (x.Overlaps(e)) return (st.Ino, st.Index);
            }
        }
        return (null, null);
    }

    private static string Describe(Extent e) => $"extent [{e.OffsetBytes}, +{e.LengthBytes}) on member {e.Member.Value}";

    /// <summary>"/a/b/c" through the first entry naming each inode, or null when no path reaches it.</summary>
    private static string? PathOf(FsckScan scan, ulong ino)
    {
        if (ino == InodeId.Root.Value) return "/";
        var parts = new List<string>();
        var current = ino;
        for (var depth = 0; depth < 4096 && current != InodeId.Root.Value; depth++)
        {
            if (!scan.Inodes.TryGetValue(current, out var node) || node.LinkName is null) return null;
            parts.Add(Printable(node.LinkName));
            current = node.LinkParent;
        }
        if (current != InodeId.Root.Value) return null;
        parts.Reverse();
        return "/" + string.Join('/', parts);
    }

    private static string Printable(byte[] name) => System.Text.Encoding.UTF8.GetString(name);
}
