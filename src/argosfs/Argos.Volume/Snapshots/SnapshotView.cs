using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Metadata.Namespace.Encoding;
using Argos.Platform;

namespace Argos.Volume.Snapshots;

/// <summary>
/// A read-only view of a named snapshot: a detached namespace built from the snapshot's frozen
/// records, whose file data is read through the volume's normal stripe path (the pinned extents the
/// frozen stripe records name). Nothing in it can change; dispose it when done.
/// </summary>
public sealed class SnapshotView : IFileTree, IDisposable
{
    private readonly ArgosVolume _volume;

    internal SnapshotView(ArgosVolume volume, string name, FsNamespace frozen, SnapshotRecord record)
    {
        _volume = volume;
        Name = name;
        Namespace = frozen;
        Record = record;
    }

    public string Name { get; }
    public SnapshotRecord Record { get; }
    public FsNamespace Namespace { get; }
    public int StripeDataBytes => _volume.StripeDataBytes;

    public InodeAttributes GetAttr(InodeId ino) => Namespace.GetAttr(ino);

    public int Read(InodeId ino, ulong offset, Span<byte> destination)
    {
        var attr = Namespace.GetAttr(ino);
        if (!PosixMode.IsRegular(attr.Mode))
        {
            throw new VolumeException(attr.IsDirectory ? Errno.EISDIR : Errno.EINVAL, $"inode {ino} of snapshot '{Name}' is not a regular file");
        }
        if (offset >= attr.Size) return 0;
        var length = (int)Math.Min((ulong)destination.Length, attr.Size - offset);
        var s = (ulong)StripeDataBytes;
        var done = 0;
        while (done < length)
        {
            var pos = offset + (ulong)done;
            var index = pos / s;
            var within = (int)(pos % s);
            var take = (int)Math.Min((ulong)(length - done), s - (ulong)within);
            var target = destination.Slice(done, take);
            if (Namespace.TryGetStripe(ino, new StripeIndex(index), out var stripe))
            {
                using var lease = _volume.LoadStripe(ino, index, stripe);
                ArgosVolume.CopyPadded(lease.Span, within, target);
            }
            else
            {
                ArgosVolume.CopyPadded(index == 0 ? Namespace.GetInlineData(ino).Span : default, within, target);
            }
            done += take;
        }
        return length;
    }

    public ulong Seek(InodeId ino, ulong offset, bool data)
    {
        var size = GetAttr(ino).Size;
        if (offset >= size)
        {
            throw new VolumeException(Errno.ENXIO, $"offset {offset} is at or past the end of inode {ino} ({size} bytes)");
        }
        var s = (ulong)StripeDataBytes;
        var hasInline = Namespace.GetInlineData(ino).Length > 0;
        for (var index = offset / s; index * s < size; index++)
        {
            var present = Namespace.TryGetStripe(ino, new StripeIndex(index), out _) || (index == 0 && hasInline);
            if (present == data) return Math.Max(offset, index * s);
        }
        if (data)
        {
            throw new VolumeException(Errno.ENXIO, $"no data in inode {ino} after offset {offset}");
        }
        return size;
    }

    public void Dispose() => Namespace.Dispose();
}
