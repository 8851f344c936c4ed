using System.Text;
using Argos.Format.Pool;
using Argos.Metadata.Log;
using Argos.Metadata.Namespace;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Platform;
using Argos.Volume.Snapshots;

namespace Argos.Volume;

/// <summary>One named snapshot as <c>snapshot list</c> shows it.</summary>
public sealed record SnapshotInfo(string Name, SnapshotRecord Record);

/// <summary>
/// Named snapshots (docs/format.md §9): create and delete are one durable transaction each; while a
/// snapshot pins an extent, the live tree's frees of it are withheld (<see cref="WithholdPinnedFrees"/>),
/// and deleting the last snapshot that pins it frees it unless the live tree still uses it.
/// </summary>
public sealed partial class ArgosVolume
{
    /// <summary>Freezes the current tree (buffered writes included) as snapshot <paramref name="name"/>; durable on return.</summary>
    public SnapshotInfo CreateSnapshot(string name)
    {
        ThrowIfReadOnly("create a snapshot");
        var bytes = SnapshotName(name);
        FlushAllFiles();
        var record = Mutate(tx => _ns.CreateSnapshot(tx, bytes, Timespec.Now(), _log.LastTxId.Next), durable: true);
        return new SnapshotInfo(name, record);
    }

    /// <summary>Deletes snapshot <paramref name="name"/>; returns the bytes freed (extents nothing else references). Durable on return.</summary>
    public long DeleteSnapshot(string name)
    {
        ThrowIfReadOnly("delete a snapshot");
        var bytes = SnapshotName(name);
        var freed = new List<RecordOp>();
        long freedBytes = 0;
        Mutate(tx =>
        {
            foreach (var e in _ns.DeleteSnapshot(tx, bytes))
            {
                freed.Add(AllocOps.Freed(e));
                freedBytes += e.LengthBytes;
            }
        }, durable: true, extraOps: freed);
        return freedBytes;
    }

    public IReadOnlyList<SnapshotInfo> ListSnapshots() =>
        _ns.ListSnapshots()
            .Select(s => new SnapshotInfo(Encoding.UTF8.GetString(s.Key.Span), s.Value))
            .OrderBy(s => s.Record.Id)
            .ToList();

    /// <summary>A read-only view of snapshot <paramref name="name"/> (ls, cat, export-tree --snapshot). Dispose it.</summary>
    public SnapshotView OpenSnapshot(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var frozen = _ns.OpenSnapshot(SnapshotName(name), out var record);
        return new SnapshotView(this, name, frozen, record);
    }

    private static byte[] SnapshotName(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        if (!SnapshotCodec.IsValidName(bytes))
        {
            throw new VolumeException(Errno.EINVAL,
                $"snapshot name '{name}' is invalid: names are 1..{FsNamespace.NameMaxBytes} bytes without '/' or NUL; pick another name");
        }
        return bytes;
    }

    /// <summary>
    /// Drops the AllocOps.Freed ops of extents a snapshot pins (I-S3): the live tree let go of them,
    /// the snapshot still reads them. Called on every batch before it reaches the log.
    /// </summary>
    private IReadOnlyList<RecordOp> WithholdPinnedFrees(IReadOnlyList<RecordOp> ops)
    {
        if (!_ns.HasPins) return ops;
        List<RecordOp>? kept = null;
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            var withhold = op.Kind == RecordKind.AllocExtent && op.IsDelete
                && AllocRecords.TryDecodeExtentKey(op.Key.Span, out var extent) && _ns.IsPinned(extent);
            if (withhold && kept is null)
            {
                kept = new List<RecordOp>(ops.Count);
                for (var j = 0; j < i; j++) kept.Add(ops[j]);
            }
            else if (!withhold)
            {
                kept?.Add(op);
            }
        }
        return kept ?? ops;
    }
}
