using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Volume.Maintenance;

namespace Argos.Volume;

/// <summary>
/// fsck of named snapshots (docs/format.md §9, I-S1 … I-S4): every Snapshot record decodes; every
/// SnapshotData and PinnedExtent record belongs to one; each snapshot's frozen tree has its root;
/// every extent a frozen stripe names is pinned by that snapshot. Pinned extents are references for
/// the allocator check, so an extent only a snapshot holds is neither a leak nor reusable.
/// </summary>
public sealed partial class ArgosVolume
{
    private sealed class FsckSnapshots
    {
        public readonly Dictionary<ulong, string> Names = new();
        public readonly Dictionary<ulong, HashSet<(int, long)>> Pins = new();
        public readonly Dictionary<ulong, List<Extent>> StripeExtents = new();
        public readonly HashSet<ulong> WithRoot = new();
        public readonly Dictionary<ulong, long> OrphanRecords = new();
    }

    private static void ScanSnapshotRecord(FsckScan scan, FsckReport report, RecordKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var snaps = scan.Snapshots;
        switch (kind)
        {
            case RecordKind.Snapshot:
                if (SnapshotCodec.IsValidName(key) && SnapshotCodec.TryDecodeValue(value, out var s, out var error))
                {
                    if (snaps.Names.TryGetValue(s.Id, out var other))
                    {
                        report.Add("snapshot-duplicate-id", FsckSeverity.Error, $"snapshots '{other}' and '{Printable(key.ToArray())}' share id {s.Id}; delete one of them");
                    }
                    snaps.Names[s.Id] = Printable(key.ToArray());
                }
                else
                {
                    report.Add("bad-record", FsckSeverity.Error, $"a snapshot record does not decode ({Convert.ToHexString(key)}); delete the snapshot");
                }
                break;
            case RecordKind.PinnedExtent:
                if (SnapshotDataCodec.TryDecodePin(key, value, out var pinId, out var pinned))
                {
                    scan.Pinned.Add(pinned);
                    if (!snaps.Pins.TryGetValue(pinId, out var set)) snaps.Pins[pinId] = set = new();
                    set.Add((pinned.Member.Value, pinned.OffsetBytes));
                }
                else
                {
                    report.Add("bad-record", FsckSeverity.Error, "a snapshot's pinned-extent record is malformed");
                }
                break;
            case RecordKind.SnapshotData:
                if (!SnapshotDataCodec.TryDecodeDataKey(key, out var id, out var inner))
                {
                    report.Add("bad-record", FsckSeverity.Error, $"a snapshot's frozen record has a malformed key ({Convert.ToHexString(key)})");
                    break;
                }
                var frozenKind = (RecordKind)inner[0];
                var frozenKey = inner[1..];
                var ok = frozenKind switch
                {
                    RecordKind.Inode => InodeRecordCodec.TryDecodeKey(frozenKey, out var ino) && InodeRecordCodec.TryDecodeValue(ino, value, out _, out _),
                    RecordKind.Dirent => DirentCodec.TryDecodeKey(frozenKey, out _, out _) && DirentCodec.TryDecodeValue(value, out _, out _, out _, out _),
                    RecordKind.Xattr => XattrCodec.TryDecodeKey(frozenKey, out _, out _),
                    RecordKind.Stripe => StripeRecordCodec.TryDecodeKey(frozenKey, out _, out _) && StripeRecordCodec.TryDecodeValue(value, out _, out _),
                    _ => true,
                };
                if (!ok)
                {
                    report.Add("bad-record", FsckSeverity.Error, $"snapshot {id}: a frozen {frozenKind} record does not decode; that snapshot is damaged, delete it");
                    break;
                }
                if (frozenKind == RecordKind.Inode && InodeRecordCodec.TryDecodeKey(frozenKey, out var frozenIno) && frozenIno == InodeId.Root)
                {
                    snaps.WithRoot.Add(id);
                }
                if (frozenKind == RecordKind.Stripe && StripeRecordCodec.TryDecodeValue(value, out var stripe, out _))
                {
                    if (!snaps.StripeExtents.TryGetValue(id, out var list)) snaps.StripeExtents[id] = list = new();
                    list.AddRange(SnapshotDataCodec.ExtentsOf(stripe));
                }
                snaps.OrphanRecords[id] = snaps.OrphanRecords.GetValueOrDefault(id) + 1;
                break;
        }
    }

    private static void CheckSnapshots(FsckScan scan, FsckReport report)
    {
        var snaps = scan.Snapshots;
        report.CheckedSnapshots = snaps.Names.Count;
        foreach (var id in snaps.OrphanRecords.Keys.Concat(snaps.Pins.Keys).Distinct())
        {
            if (!snaps.Names.ContainsKey(id))
            {
                report.Add("snapshot-orphan-records", FsckSeverity.Error,
                    $"{snaps.OrphanRecords.GetValueOrDefault(id)} frozen records and {snaps.Pins.GetValueOrDefault(id)?.Count ?? 0} pins belong to snapshot id {id}, which has no name record; they hold space no snapshot can reach");
            }
        }
        foreach (var (id, name) in snaps.Names)
        {
            if (!snaps.WithRoot.Contains(id))
            {
                report.Add("snapshot-no-root", FsckSeverity.Error, $"snapshot '{name}' has no frozen root directory; it cannot be read — delete it");
            }
            var pins = snaps.Pins.GetValueOrDefault(id);
            foreach (var e in snaps.StripeExtents.GetValueOrDefault(id) ?? [])
            {
                if (pins is null || !pins.Contains((e.Member.Value, e.OffsetBytes)))
                {
                    report.Add("snapshot-unpinned-extent", FsckSeverity.Error,
                        $"snapshot '{name}': {Describe(e)} holds its data but is not pinned, so the live tree may reuse it; delete the snapshot");
                }
            }
        }
    }
}
