using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Log;
using Argos.Metadata.Namespace;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Volume.Maintenance;

namespace Argos.Volume;

/// <summary>
/// Metadata repairs: record-level transactions built from what the scan found (delete a dangling
/// entry, correct a link count or parent field, free a leak, drop a stripe of a vanished file,
/// remove unreachable inodes). Each batch goes to the log and into the namespace together, under the
/// commit gate, so the two never disagree.
/// </summary>
public sealed partial class ArgosVolume
{
    private const int RepairBatchOps = 4096;

    /// <summary>Fixes the scan recorded (caller holds <see cref="_commitGate"/>).</summary>
    private void RepairMetadata(FsckScan scan, FsckReport report)
    {
        var ops = new List<RecordOp>();
        var fixedIssues = new List<FsckIssue>();

        // Dangling entries and entry types.
        foreach (var d in scan.Dirents)
        {
            if (!scan.Inodes.TryGetValue(d.Parent, out var dir) || !PosixMode.IsDirectory(dir.Record.Attributes.Mode))
            {
                continue; // an entry of a non-directory: nothing safe to do automatically
            }
            var key = DirentCodec.EncodeKey(new InodeId(d.Parent), d.Name);
            if (!scan.Inodes.TryGetValue(d.Child, out var child))
            {
                ops.Add(RecordOp.Delete(RecordKind.Dirent, key));
                continue;
            }
            var type = PosixMode.DirentType(child.Record.Attributes.Mode);
            if (type != d.Type)
            {
                ops.Add(RecordOp.Put(RecordKind.Dirent, key, DirentCodec.EncodeValue(new InodeId(d.Child), type, d.Cookie)));
            }
        }
        fixedIssues.AddRange(report.Issues.Where(i => i.Kind is "dangling-entry" or "entry-type"));

        // Link counts and parent fields of reachable inodes.
        foreach (var (ino, node) in scan.Inodes)
        {
            if (!node.Reachable) continue;
            var fixedRecord = ExpectedRecord(ino, node);
            if (fixedRecord != node.Record)
            {
                node.Record = fixedRecord;
                ops.Add(RecordOp.Put(RecordKind.Inode, InodeRecordCodec.EncodeKey(new InodeId(ino)), InodeRecordCodec.EncodeValue(fixedRecord)));
            }
        }
        fixedIssues.AddRange(report.Issues.Where(i => i.Kind is "nlink" or "parent"));

        // Stripes of files that are gone.
        foreach (var st in scan.Stripes)
        {
            if (scan.Inodes.TryGetValue(st.Ino.Value, out var owner) && PosixMode.IsRegular(owner.Record.Attributes.Mode)) continue;
            DropStripe(scan, st, ops);
        }
        fixedIssues.AddRange(report.Issues.Where(i => i.Kind == "stripe-without-file"));

        // Allocator: free leaks, mark referenced extents allocated.
        if (scan.Allocation is { } check)
        {
            foreach (var leak in check.Leaks)
            {
                ops.Add(AllocOps.Freed(leak));
                report.FreedLeakedExtents++;
            }
            foreach (var e in check.ReferencedButFree)
            {
                ops.Add(AllocOps.Allocated(e));
            }
            fixedIssues.AddRange(report.Issues.Where(i => i.Kind is "leak" or "referenced-free"));
        }

        CommitRecordOps(ops);
        foreach (var issue in fixedIssues) issue.Repaired = true;
    }

    /// <summary>The inode record with the link count (and, for directories, the parent) the entries imply.</summary>
    private static InodeRecord ExpectedRecord(ulong ino, FsckInode node)
    {
        var a = node.Record.Attributes;
        if (PosixMode.IsDirectory(a.Mode))
        {
            var parent = ino == InodeId.Root.Value ? InodeId.Root.Value : node.LinkParent;
            return node.Record with { Attributes = a with { Nlink = 2 + node.Subdirectories }, Parent = parent };
        }
        return node.Record with { Attributes = a with { Nlink = node.Links } };
    }

    /// <summary>Deletes a stripe record and frees its extents that no other stripe shares.</summary>
    private static void DropStripe(FsckScan scan, FsckStripe st, List<RecordOp> ops)
    {
        if (st.Removed) return;
        st.Removed = true;
        ops.Add(RecordOp.Delete(RecordKind.Stripe, StripeRecordCodec.EncodeKey(st.Ino, new StripeIndex(st.Index))));
        if (st.Malformed) return; // its extents were never counted as referenced: fsck reports them as leaks
        foreach (var e in ExtentsOf(st.Record))
        {
            if (ReleaseReference(scan, e)) ops.Add(AllocOps.Freed(e));
        }
    }

    /// <summary>Drops one reference to an extent; true when it was the last one (the extent may be freed).</summary>
    private static bool ReleaseReference(FsckScan scan, Extent e)
    {
        var refs = scan.ExtentRefs.GetValueOrDefault(e);
        if (refs <= 1)
        {
            scan.ExtentRefs.Remove(e);
            return !scan.Pinned.Contains(e);
        }
        scan.ExtentRefs[e] = refs - 1;
        return false;
    }

    /// <summary>--remove-orphans: frees every inode no entry reaches from the root (with its entries, xattrs, stripes).</summary>
    private void RemoveUnreachable(FsckScan scan, FsckReport report)
    {
        var victims = scan.Inodes.Where(x => !x.Value.Reachable && _ns.GetOpenCount(new InodeId(x.Key)) == 0).Select(x => x.Key).ToHashSet();
        if (victims.Count == 0) return;
        var stripesByInode = scan.Stripes.GroupBy(s => s.Ino.Value).ToDictionary(g => g.Key, g => g.ToList());
        var xattrsByInode = scan.Xattrs.GroupBy(x => x.Ino).ToDictionary(g => g.Key, g => g.ToList());
        var linksLost = new Dictionary<ulong, uint>();
        var ops = new List<RecordOp>();
        foreach (var ino in victims)
        {
            var id = new InodeId(ino);
            ops.Add(RecordOp.Delete(RecordKind.Inode, InodeRecordCodec.EncodeKey(id)));
            if (scan.OrphanRecords.Contains(ino)) ops.Add(RecordOp.Delete(RecordKind.Orphan, OrphanCodec.EncodeKey(id)));
            if (xattrsByInode.TryGetValue(ino, out var xs))
            {
                foreach (var x in xs) ops.Add(RecordOp.Delete(RecordKind.Xattr, x.Key));
            }
            if (stripesByInode.TryGetValue(ino, out var stripes))
            {
                foreach (var st in stripes) DropStripe(scan, st, ops);
            }
            if (scan.Children.TryGetValue(ino, out var entries))
            {
                foreach (var i in entries)
                {
                    var d = scan.Dirents[i];
                    ops.Add(RecordOp.Delete(RecordKind.Dirent, DirentCodec.EncodeKey(id, d.Name)));
                    if (!victims.Contains(d.Child)) linksLost[d.Child] = linksLost.GetValueOrDefault(d.Child) + 1;
                }
            }
            scan.Inodes[ino].Removed = true;
            _stripeCache.Forget(id);
            ForgetBuffer(id);
            report.RemovedOrphans++;
            if (ops.Count >= RepairBatchOps)
            {
                CommitRecordOps(ops);
                ops.Clear();
            }
        }
        // A reachable file that also had an entry inside a removed directory lost that link.
        foreach (var (ino, lost) in linksLost)
        {
            if (!scan.Inodes.TryGetValue(ino, out var node) || PosixMode.IsDirectory(node.Record.Attributes.Mode)) continue;
            var a = node.Record.Attributes;
            node.Record = node.Record with { Attributes = a with { Nlink = a.Nlink > lost ? a.Nlink - lost : 0 } };
            ops.Add(RecordOp.Put(RecordKind.Inode, InodeRecordCodec.EncodeKey(new InodeId(ino)), InodeRecordCodec.EncodeValue(node.Record)));
        }
        CommitRecordOps(ops);
        foreach (var issue in report.Issues)
        {
            if (issue.Kind is "unreachable" or "orphan" && issue.Inode is { } i && victims.Contains(i.Value)) issue.Repaired = true;
        }
    }

    /// <summary>One repair transaction: to the log (which applies allocator ops) and into the namespace, then durable.</summary>
    private void CommitRecordOps(List<RecordOp> ops)
    {
        if (ops.Count == 0) return;
        lock (_commitGate)
        {
            _log.Append(WithholdPinnedFrees(ops));
            foreach (var op in ops)
            {
                if (op.Kind is RecordKind.AllocExtent or RecordKind.AllocBitmap or RecordKind.Member or RecordKind.CheckpointExtent) continue;
                _ns.Apply(op);
            }
            if (_pendingTransactions++ == 0) _oldestPending = DateTime.UtcNow;
            FlushLogLocked();
        }
    }
}
